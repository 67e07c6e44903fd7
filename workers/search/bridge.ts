/**
 * What the recommender service calls to set search up, so that `workers/service.ts` stays a dispatcher:
 * the offline layer for model files, the search engine over the loaded model, and the history as encoder rows.
 */
import type { ItemEventType } from '../../src/events';
import type { Progress } from '../../src/progress';
import type { EngineConfig } from '../../src/protocol';
import type { ResolvedSearchOptions } from '../../src/search';
import type { CatalogIndex } from '../catalog-index';
import type { EventTypeId, HistoryEvent } from '../engine/encoder-input';
import type { ItemMatrix } from '../engine/item-matrix';
import type { ShopperProfile } from '../history/profile';
import { cacheWasmDownloads, offlineFetch, openAssetCache } from '../runtime/asset-cache';
import type { OpenedSession } from '../runtime/backend';
import { fetchFile } from '../runtime/fetch-file';
import type { Turns } from '../runtime/turns';
import type { Manifest } from '../runtime/load-model';
import { SearchEngine } from './engine';
import { TEXT_FILES, TEXT_ONNX_FILE } from './text-encoder';

const TYPE_ID: Record<ItemEventType, EventTypeId> = { view: 1, click: 2, add_to_cart: 3, purchase: 4 };

export interface OfflineAssets {
  /** Network first, the Cache Storage copy when the network fails; `undefined` means the plain `fetch`. */
  fetch?: typeof fetch;
  /**
   * Settles once every copy started so far (model files and onnxruntime's `.wasm`) is written, or those whose URL
   * `only` accepts; never rejects.
   */
  written(only?: (url: string) => boolean): Promise<void>;
}

/**
 * With `search.offlineCache` on (the default) and Cache Storage available: a fetch that keeps copies of model
 * files and answers from them offline, also for onnxruntime's `.wasm`. Without it, the plain fetch.
 */
export function offlineAssets(config: EngineConfig): OfflineAssets {
  if (config.search?.offlineCache === false || typeof caches === 'undefined') return { written: async () => undefined };
  // Not awaited: the downloads start at once, the copies are written once the cache is open (a first visit creates
  // it on disk); where it will not open, they are plain fetches.
  const cache = openAssetCache();
  const wasm = cacheWasmDownloads(cache);
  const files = offlineFetch(globalThis.fetch, cache);
  return { fetch: files, written: async (only) => void (await Promise.all([wasm.pending(), files.pending(only)])) };
}

export interface StartSearchArgs {
  config: EngineConfig;
  manifest: Manifest;
  catalog: CatalogIndex;
  matrix: ItemMatrix;
  fetch?: typeof fetch;
  onProgress?: (p: Progress) => void;
}

/** Search, started: its downloads are under way; `open` builds it (lexical index, text encoder) when called. */
export interface StartedSearch {
  /** Settles once the files fetched ahead (the manifest's text model) are in, or failed; never rejects. */
  downloads: Promise<void>;
  /** Whether search fetches `url` ahead (one of the files `downloads` waits for). */
  fetchesAhead(url: string): boolean;
  /** Builds search; the text encoder's runs will take their turn through `exclusive`. */
  open(runtime: Pick<OpenedSession, 'ort'>, exclusive?: Turns): Promise<SearchEngine>;
  /** Stop reporting progress (after start-up, the page has been told 'ready'). */
  quiet(): void;
}

/**
 * Starts the downloads search needs (the manifest's text-model files, checked against its sha256) so they overlap
 * with onnxruntime's start; `open()` builds the lexical index (restored from IndexedDB or built) and the text
 * encoder on the recommender's onnxruntime, the CPU-heavy part, when the caller decides.
 */
export function startSearch(a: StartSearchArgs): StartedSearch {
  const folder = new URL('.', a.config.modelUrl).href;
  const textFolder = a.manifest.files.text ? new URL(a.manifest.files.text, a.config.modelUrl).href : undefined;
  const manifestTextFolder = textFolder && (textFolder.endsWith('/') ? textFolder : `${textFolder}/`);
  // Each file is downloaded once (search may be built again after a failure), so progress moves forward per file.
  const once = new Map<string, Promise<Uint8Array>>();
  let report = a.onProgress;
  const get = (url: string): Promise<Uint8Array> => {
    // Files of the model folder carry a sha256 in the manifest (e.g. "text/onnx/model_quantized.onnx").
    const name = url.startsWith(folder) ? url.slice(folder.length) : url;
    let pending = once.get(url);
    if (!pending) {
      report?.({ status: 'initiate', file: name });
      pending = fetchFile(url, {
        sha256: a.manifest.sha256[name],
        fetch: a.fetch,
        onProgress: (loaded, total) => report?.({ status: 'download', file: name, loaded, total }),
      }).then((bytes) => {
        report?.({ status: 'done', file: name, bytes: bytes.byteLength });
        return bytes;
      });
      once.set(url, pending);
      // A failed download is forgotten, so the next build of search (after a failed one) fetches it again.
      const failed = pending;
      failed.catch(() => {
        if (once.get(url) === failed) once.delete(url);
      });
    }
    return pending;
  };
  const options: ResolvedSearchOptions = a.config.search ?? { textModel: undefined, textDtype: 'q8', offlineCache: true, eager: false };
  const ahead: Promise<unknown>[] = [];
  const aheadUrls = new Set<string>();
  if (options.textModel === undefined && manifestTextFolder?.startsWith(folder)) {
    // The text model the manifest names: fetch the files the text encoder reads while onnxruntime starts.
    const prefix = manifestTextFolder.slice(folder.length);
    const wanted = new Set([...TEXT_FILES.map((f) => `${prefix}${f}`), `${prefix}onnx/${TEXT_ONNX_FILE[options.textDtype]}`]);
    for (const name of Object.keys(a.manifest.sha256)) {
      if (!wanted.has(name)) continue;
      const url = new URL(name, folder).href;
      aheadUrls.add(url);
      ahead.push(get(url));
    }
  }
  if (options.textVectors) aheadUrls.add(options.textVectors);
  const textVectors = options.textVectors ? get(options.textVectors) : undefined;
  if (textVectors) ahead.push(textVectors);
  return {
    // A failed download is not an error here: open() meets it again and reports it as search's failure.
    downloads: Promise.allSettled(ahead).then(() => undefined),
    fetchesAhead: (url) => aheadUrls.has(url),
    quiet: () => {
      report = undefined;
    },
    open: async (opened, exclusive) =>
      SearchEngine.open({
        exclusive,
        options,
        manifestTextFolder,
        catalog: a.catalog,
        matrix: a.matrix,
        catalogSha256: a.manifest.sha256[a.manifest.files.catalog] ?? '',
        databaseName: `${a.config.storageName}-search`,
        ort: opened.ort,
        executionProvider: 'wasm',
        fetchFile: get,
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
