/**
 * Loads a model folder (docs/artifacts.md): the manifest, then the encoder, item matrix and catalog, each
 * checked against the manifest before anything uses it.
 */
import { LocalshelfError, describeValue } from '../../src/errors';
import type { Progress } from '../../src/progress';
import { parseItemMatrix, type ItemMatrix } from '../engine/item-matrix';
import { fetchFile } from './fetch-file';
import type { AttributeValue } from '../../src/protocol';

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
  /** `encoderBase`: the encoder without its LoRA branch (optional; run while no adapter with LoRA is active). */
  files: { encoder: string; encoderBase?: string; items: string; catalog: string; text?: string };
  sha256: Record<string, string>;
  lora?: { rank: number; targets: LoraTarget[] };
  attribution?: string;
}

export interface CatalogEntry {
  id: string;
  title: string;
  popularity: number;
  /** Catalog attributes for business rules (category, brand, price, inStock, free ones); absent when none. */
  attributes?: Record<string, AttributeValue>;
  /** More searchable text (`catalog.add()` items' `text`); absent when none. */
  text?: string;
}

/** Keys of a catalog.json item that are not attributes. */
const NOT_ATTRIBUTES = new Set(['id', 'title', 'popularity', 'text', 'attrs', 'image_vector']);

/** The item's attributes: its other top-level keys with a string, number or boolean value, and those of `attrs`. */
export function attributesOf(item: Record<string, unknown>): Record<string, AttributeValue> | undefined {
  let out: Record<string, AttributeValue> | undefined;
  const put = (k: string, v: unknown): void => {
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) (out ??= Object.create(null) as Record<string, AttributeValue>)[k] = v;
  };
  const nested = item.attrs;
  if (nested && typeof nested === 'object' && !Array.isArray(nested)) for (const [k, v] of Object.entries(nested)) put(k, v);
  for (const [k, v] of Object.entries(item)) if (!NOT_ATTRIBUTES.has(k)) put(k, v);
  return out;
}

export interface LoadedModel {
  manifest: Manifest;
  /** The encoder the engine starts on: `files.encoderBase` when the folder has it (no LoRA inputs), else `files.encoder`. */
  encoderBytes: Uint8Array;
  /** Whether `encoderBytes` takes the LoRA inputs (it is `files.encoder`). */
  encoderTakesLora: boolean;
  /** `files.encoder` beside a LoRA-free `encoderBytes`, when `withLora` asked for it. */
  loraEncoderBytes?: Uint8Array;
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
  /**
   * Whether LoRA may be needed (an adapter channel is configured). When the folder has a LoRA-free encoder and this
   * is false, the encoder with LoRA inputs is not downloaded at all. @defaultValue `true`
   */
  withLora?: boolean;
  /**
   * Called with the encoder graph the engine will run (the LoRA-free one where the folder has it) as soon as its
   * bytes are in and verified, before the other files are: a caller can start building the encoder meanwhile.
   */
  onEncoder?: (bytes: Uint8Array, takesLora: boolean) => void;
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
  if (x.format !== 1) throw corrupt(`manifest.json format ${describeValue(x.format)} is not supported (expected 1)`);
  if (!posInt(x.dim) || !posInt(x.maxLen) || !posInt(x.numItems)) throw corrupt('manifest.json needs positive integer dim, maxLen and numItems');
  const f = x.files;
  if (!f || typeof f.encoder !== 'string' || typeof f.items !== 'string' || typeof f.catalog !== 'string') {
    throw corrupt('manifest.json files must name encoder, items and catalog');
  }
  if (!x.sha256 || typeof x.sha256 !== 'object' || Array.isArray(x.sha256)) throw corrupt('manifest.json has no sha256 table');
  // Only the table's own string entries count ("toString" must not find Object.prototype's).
  const sha256: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, hex] of Object.entries(x.sha256)) {
    if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/i.test(hex)) throw corrupt(`manifest.json sha256 of ${JSON.stringify(name)} is not 64 hex digits`);
    sha256[name] = hex.toLowerCase();
  }
  return { ...(x as Manifest), sha256 };
}

/**
 * Parses catalog.json: `{ items: [{ id, title?, popularity? }, …] }`, one entry per item-matrix row, ids unique.
 * @throws LocalshelfError `MODEL_CORRUPT`
 */
export function parseCatalog(bytes: Uint8Array, name: string, rows: number): CatalogEntry[] {
  const json = parseJson<{ items?: unknown } | null>(bytes, name);
  if (!json || typeof json !== 'object' || !Array.isArray(json.items)) throw corrupt(`${name} has no items array`);
  const seen = new Set<string>();
  const catalog = json.items.map((it: unknown, i: number): CatalogEntry => {
    const e = it as Partial<CatalogEntry> | null;
    if (!e || typeof e !== 'object' || typeof e.id !== 'string' || e.id.length === 0) throw corrupt(`catalog item ${i} has no string id`);
    if (seen.has(e.id)) throw corrupt(`catalog item ${i} repeats the id ${JSON.stringify(e.id.slice(0, 80))}`);
    seen.add(e.id);
    const popularity = typeof e.popularity === 'number' && Number.isFinite(e.popularity) ? e.popularity : 0;
    const attributes = attributesOf(e as Record<string, unknown>);
    return { id: e.id, title: typeof e.title === 'string' ? e.title : '', popularity, ...(attributes ? { attributes } : {}) };
  });
  if (catalog.length !== rows) throw corrupt(`catalog has ${catalog.length} items but the item matrix has ${rows} rows`);
  return catalog;
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
  const base = typeof manifest.files.encoderBase === 'string' ? manifest.files.encoderBase : undefined;
  if (base !== undefined && !manifest.sha256[base]) throw corrupt(`manifest.json has no sha256 for ${base}`);
  const full = base === undefined || options.withLora !== false;
  const early = (takesLora: boolean) => (bytes: Uint8Array | undefined) => {
    if (bytes) options.onEncoder?.(bytes, takesLora);
    return bytes;
  };
  // Each file is parsed (or handed on) as it arrives, while the others still download.
  const [fullBytes, matrix, catalogBytes, baseBytes] = await Promise.all([
    full ? get(manifest.files.encoder, url('encoder'), encoderSha256).then(base === undefined ? early(true) : (b) => b) : undefined,
    get(manifest.files.items, url('items'), manifest.sha256[manifest.files.items]).then((bytes) => {
      const m = parseItemMatrix(bytes);
      if (m.dim !== manifest.dim) throw corrupt(`item matrix dim ${m.dim} differs from manifest dim ${manifest.dim}`);
      return m;
    }),
    get(manifest.files.catalog, url('catalog'), manifest.sha256[manifest.files.catalog]),
    base !== undefined ? get(base, new URL(base, options.manifestUrl).href, manifest.sha256[base]).then(early(false)) : undefined,
  ]);
  const catalog = parseCatalog(catalogBytes, manifest.files.catalog, matrix.rows);
  const encoders = baseBytes
    ? { encoderBytes: baseBytes, encoderTakesLora: false, ...(fullBytes ? { loraEncoderBytes: fullBytes } : {}) }
    : { encoderBytes: fullBytes!, encoderTakesLora: true };
  return { manifest, encoderSha256, matrix, catalog, ...encoders };
}
