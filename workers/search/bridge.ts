/**
 * What the recommender service calls to set search up, so that `workers/service.ts` stays a dispatcher:
 * the offline layer for model files, the search engine over the loaded model, and the history as encoder rows.
 */
import type { ItemEventType } from '../../src/events';
import type { Progress } from '../../src/progress';
import type { EngineConfig } from '../../src/protocol';
import type { CatalogIndex } from '../catalog-index';
import type { EventTypeId, HistoryEvent } from '../engine/encoder-input';
import type { ItemMatrix } from '../engine/item-matrix';
import type { ShopperProfile } from '../history/profile';
import { cacheWasmDownloads, offlineFetch, openAssetCache } from '../runtime/asset-cache';
import type { OpenedSession } from '../runtime/backend';
import { fetchFile } from '../runtime/fetch-file';
import type { Manifest } from '../runtime/load-model';
import { openLexicalIndex, SearchEngine } from './engine';

const TYPE_ID: Record<ItemEventType, EventTypeId> = { view: 1, click: 2, add_to_cart: 3, purchase: 4 };

export interface OfflineAssets {
  /** Network first, the Cache Storage copy when the network fails; `undefined` means the plain `fetch`. */
  fetch?: typeof fetch;
  /** Settles once every copy started so far (model files and onnxruntime's `.wasm`) is written; never rejects. */
  written(): Promise<void>;
}

/**
 * With `search.offlineCache` on (the default) and Cache Storage available: a fetch that keeps copies of model
 * files and answers from them offline, also for onnxruntime's `.wasm`. Without it, the plain fetch.
 */
export async function offlineAssets(config: EngineConfig): Promise<OfflineAssets> {
  const none: OfflineAssets = { written: async () => undefined };
  if (config.search?.offlineCache === false) return none;
  const cache = await openAssetCache();
  if (!cache) return none;
  const wasm = cacheWasmDownloads(cache);
  const files = offlineFetch(globalThis.fetch, cache);
  return { fetch: files, written: async () => void (await Promise.all([wasm.pending(), files.pending()])) };
}

export interface StartSearchArgs {
  config: EngineConfig;
  manifest: Manifest;
  catalog: CatalogIndex;
  matrix: ItemMatrix;
  fetch?: typeof fetch;
  onProgress?: (p: Progress) => void;
}

/** Search, started: its onnxruntime-free half is under way; `open` finishes it once onnxruntime is up. */
export interface StartedSearch {
  open(opened: OpenedSession): Promise<SearchEngine>;
}

/** transformers.js's file for each `dtype`, under `onnx/`. */
const ONNX_FILE: Record<string, string> = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q8: 'model_quantized.onnx',
  int8: 'model_int8.onnx',
  uint8: 'model_uint8.onnx',
  q4: 'model_q4.onnx',
  q4f16: 'model_q4f16.onnx',
  bnb4: 'model_bnb4.onnx',
};

/**
 * Starts what search needs that does not wait for onnxruntime, so it overlaps with the encoder's start: the
 * lexical index (restored from IndexedDB or built) and the downloads of the manifest's text-model files (checked
 * against the manifest's sha256). `open()` then builds the text encoder on the recommender's onnxruntime.
 */
export function startSearch(a: StartSearchArgs): StartedSearch {
  const folder = new URL('.', a.config.modelUrl).href;
  const textFolder = a.manifest.files.text ? new URL(a.manifest.files.text, a.config.modelUrl).href : undefined;
  const manifestTextFolder = textFolder && (textFolder.endsWith('/') ? textFolder : `${textFolder}/`);
  // transformers.js asks for some files twice (config.json, tokenizer_config.json): download each once, so
  // progress moves forward per file.
  const once = new Map<string, Promise<Uint8Array>>();
  const get = (url: string): Promise<Uint8Array> => {
    // Files of the model folder carry a sha256 in the manifest (e.g. "text/onnx/model_quantized.onnx").
    const name = url.startsWith(folder) ? url.slice(folder.length) : url;
    let pending = once.get(url);
    if (!pending) {
      a.onProgress?.({ status: 'initiate', file: name });
      pending = fetchFile(url, {
        sha256: a.manifest.sha256[name],
        fetch: a.fetch,
        onProgress: (loaded, total) => a.onProgress?.({ status: 'download', file: name, loaded, total }),
      }).then((bytes) => {
        a.onProgress?.({ status: 'done', file: name, bytes: bytes.byteLength });
        return bytes;
      });
      once.set(url, pending);
    }
    return pending;
  };
  const options = a.config.search ?? { textModel: undefined, textDtype: 'q8' as const, offlineCache: true };
  const lexical = openLexicalIndex({
    catalog: a.catalog,
    catalogSha256: a.manifest.sha256[a.manifest.files.catalog] ?? '',
    databaseName: `${a.config.storageName}-search`,
  });
  lexical.catch(() => undefined); // awaited in open(); this only keeps an early failure from going unobserved
  if (options.textModel === undefined && manifestTextFolder?.startsWith(folder)) {
    // The text model the manifest names: fetch the files transformers.js will ask for while onnxruntime starts.
    const prefix = manifestTextFolder.slice(folder.length);
    const onnx = `${prefix}onnx/${ONNX_FILE[options.textDtype] ?? ''}`;
    for (const name of Object.keys(a.manifest.sha256)) {
      if (name.startsWith(prefix) && (name.endsWith('.json') || name === onnx)) get(new URL(name, folder).href).catch(() => undefined);
    }
  }
  const textVectors = options.textVectors ? get(options.textVectors) : undefined;
  textVectors?.catch(() => undefined);
  return {
    open: async (opened) =>
      SearchEngine.open({
        options,
        manifestTextFolder,
        catalog: a.catalog,
        matrix: a.matrix,
        catalogSha256: a.manifest.sha256[a.manifest.files.catalog] ?? '',
        databaseName: `${a.config.storageName}-search`,
        ort: opened.ort,
        executionProvider: 'wasm',
        fetchFile: get,
        lexical,
        ...(textVectors ? { textVectors: await textVectors } : {}),
      }),
  };
}

/** The shopper's recent item events as encoder rows (events of unknown items skipped), most recent last. */
export function historyRows(profile: ShopperProfile, catalog: CatalogIndex, maxLen: number): HistoryEvent[] {
  const rows: HistoryEvent[] = [];
  for (const e of profile.recent) {
    const row = catalog.row(e.itemId);
    if (row !== undefined) rows.push({ row, type: TYPE_ID[e.type] });
  }
  return rows.slice(-maxLen);
}
