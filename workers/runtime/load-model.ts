/**
 * Loads a model folder (docs/artifacts.md): the manifest, then the encoder, item matrix and catalog, each
 * checked against the manifest before anything uses it.
 */
import { LocalshelfError } from '../../src/errors';
import type { Progress } from '../../src/progress';
import { parseItemMatrix, type ItemMatrix } from '../engine/item-matrix';
import { fetchFile } from './fetch-file';

export interface LoraTarget {
  name: string;
  in: number;
  out: number;
}

export interface Manifest {
  format: 1;
  name: string;
  dim: number;
  maxLen: number;
  numItems: number;
  files: { encoder: string; items: string; catalog: string; text?: string };
  sha256: Record<string, string>;
  lora?: { rank: number; targets: LoraTarget[] };
  attribution?: string;
}

export interface CatalogEntry {
  id: string;
  title: string;
  popularity: number;
}

export interface LoadedModel {
  manifest: Manifest;
  encoderBytes: Uint8Array;
  encoderSha256: string;
  matrix: ItemMatrix;
  catalog: CatalogEntry[];
}

export interface LoadModelOptions {
  manifestUrl: string;
  files: { encoder?: string; items?: string; catalog?: string };
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  fetch?: typeof fetch;
}

function corrupt(message: string, cause?: unknown): LocalshelfError {
  return new LocalshelfError('MODEL_CORRUPT', message, { cause });
}

function parseJson<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (cause) {
    throw corrupt(`${what} is not valid JSON`, cause);
  }
}

/** Checks the manifest's shape; @throws LocalshelfError `MODEL_CORRUPT` */
export function checkManifest(m: unknown): Manifest {
  const x = m as Partial<Manifest> | null;
  const posInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (!x || typeof x !== 'object') throw corrupt('manifest.json is not an object');
  if (x.format !== 1) throw corrupt(`manifest.json format ${String(x.format)} is not supported (expected 1)`);
  if (!posInt(x.dim) || !posInt(x.maxLen) || !posInt(x.numItems)) throw corrupt('manifest.json needs positive integer dim, maxLen and numItems');
  const f = x.files;
  if (!f || typeof f.encoder !== 'string' || typeof f.items !== 'string' || typeof f.catalog !== 'string') {
    throw corrupt('manifest.json files must name encoder, items and catalog');
  }
  if (!x.sha256 || typeof x.sha256 !== 'object') throw corrupt('manifest.json has no sha256 table');
  return x as Manifest;
}

/** Downloads and validates a whole model. */
export async function loadModel(options: LoadModelOptions): Promise<LoadedModel> {
  const { signal, onProgress } = options;
  const get = async (name: string, url: string, sha256?: string): Promise<Uint8Array> => {
    onProgress?.({ status: 'initiate', file: name });
    const bytes = await fetchFile(url, {
      sha256,
      signal,
      fetch: options.fetch,
      onProgress: (loaded, total) => onProgress?.({ status: 'download', file: name, loaded, total }),
    });
    onProgress?.({ status: 'done', file: name, bytes: bytes.byteLength });
    return bytes;
  };
  const manifest = checkManifest(parseJson(await get('manifest.json', options.manifestUrl), 'manifest.json'));
  const url = (key: 'encoder' | 'items' | 'catalog'): string => options.files[key] ?? new URL(manifest.files[key], options.manifestUrl).href;
  const encoderSha256 = manifest.sha256[manifest.files.encoder];
  if (!encoderSha256) throw corrupt(`manifest.json has no sha256 for ${manifest.files.encoder}`);
  const [encoderBytes, itemBytes, catalogBytes] = await Promise.all([
    get(manifest.files.encoder, url('encoder'), encoderSha256),
    get(manifest.files.items, url('items'), manifest.sha256[manifest.files.items]),
    get(manifest.files.catalog, url('catalog'), manifest.sha256[manifest.files.catalog]),
  ]);
  const matrix = parseItemMatrix(itemBytes);
  if (matrix.dim !== manifest.dim) throw corrupt(`item matrix dim ${matrix.dim} differs from manifest dim ${manifest.dim}`);
  const catalogJson = parseJson<{ items?: unknown }>(catalogBytes, manifest.files.catalog);
  if (!Array.isArray(catalogJson.items)) throw corrupt(`${manifest.files.catalog} has no items array`);
  const catalog = catalogJson.items.map((it: unknown, i: number): CatalogEntry => {
    const e = it as Partial<CatalogEntry>;
    if (!e || typeof e.id !== 'string') throw corrupt(`catalog item ${i} has no string id`);
    return { id: e.id, title: typeof e.title === 'string' ? e.title : '', popularity: typeof e.popularity === 'number' ? e.popularity : 0 };
  });
  if (catalog.length !== matrix.rows) throw corrupt(`catalog has ${catalog.length} items but the item matrix has ${matrix.rows} rows`);
  return { manifest, encoderBytes, encoderSha256, matrix, catalog };
}
