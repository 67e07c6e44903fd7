/**
 * The main-thread client: starts the worker, guards every call, batches `track()`, and owns disposal.
 */
import { proxy, releaseProxy, wrap, type Remote } from 'comlink';
import { AdapterLink, pageHidden, type AdapterInfo, type AdapterSyncResult, type RecommenderEventMap } from './adapters';
import { CallGuard } from './call-guard';
import { installErrorTransfer } from './error-transfer';
import { LocalshelfError, asLocalshelfError } from './errors';
import { validateEvent, type StoredEvent, type TrackEvent } from './events';
import { resolveOptions, type RecommenderOptions, type ResolvedOptions } from './options';
import type { BackendInfo, EngineApi, MetricsResult, ReadyInfo, RecommendRequest, RecommendResult, RelatedRequest, RelatedResult, SearchInfo } from './protocol';
import type { Progress } from './progress';
import { EngineEventLink } from './engine-events';
import type { StorageInfo, StorageKind } from './storage';
import { resolveSearchOptions, type AddItemsResult, type NewItem, type SearchOptions, type SearchRequest, type SearchResult } from './search';

/** Per-call options every async method takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Products added at run time. */
export interface CatalogApi {
  /**
   * Adds products the shipped catalog lacks. Each is embedded on the device by the text encoder and is
   * searchable and recommendable as soon as the promise resolves, and kept on the device (IndexedDB
   * `<storageName>-catalog`, for this model) so it is back after a reload. All or nothing: one invalid item
   * rejects with `INVALID_ARGUMENT`, a failed write with `STORAGE` / `QUOTA_EXCEEDED`, and none is added.
   */
  add(items: NewItem[], options?: CallOptions): Promise<AddItemsResult>;
}

/** Options of {@link createRecommender}: the recommender's, plus `search`. */
export type CreateRecommenderOptions = RecommenderOptions & {
  /** Text encoder and offline copies for search and `catalog.add()` (see {@link SearchOptions}). */
  search?: SearchOptions;
};

/** The shopper's on-device history. */
export interface HistoryApi {
  /** Every stored event, oldest first, as JSON-ready objects. */
  export(options?: CallOptions): Promise<StoredEvent[]>;
  /** Deletes every stored event. */
  clear(options?: CallOptions): Promise<void>;
}

let lifeLockCounter = 0;

/**
 * A running recommender. Create with {@link createRecommender}; call {@link Recommender.dispose} when done.
 * An `EventTarget`: `adapterchange` and `adaptererror` (see {@link RecommenderEventMap}).
 */
export class Recommender extends EventTarget {
  readonly #worker: Worker;
  readonly #remote: Remote<EngineApi>;
  readonly #guard: CallGuard;
  readonly #options: ResolvedOptions;
  readonly #ready: ReadyInfo;
  #searchInfo: SearchInfo | undefined;
  #queue: { event: StoredEvent; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #callId = 0;
  #disposed = false;
  readonly #adapters: AdapterLink;
  readonly #events: EngineEventLink;

  /** @internal use {@link createRecommender} */
  constructor(worker: Worker, remote: Remote<EngineApi>, guard: CallGuard, options: ResolvedOptions, ready: ReadyInfo, adapters = new AdapterLink(), events = new EngineEventLink()) {
    super();
    this.#events = events;
    events.attach(this, { storage: ready.history.storage, backend: ready.backend });
    this.#adapters = adapters;
    adapters.update(ready.adapter);
    adapters.attach(this);
    if (options.adapters) adapters.watchVisibility((visible) => remote.setVisibility(visible));
    this.#worker = worker;
    this.#remote = remote;
    this.#guard = guard;
    this.#options = options;
    this.#ready = ready;
    this.#searchInfo = ready.search;
  }

  /**
   * Where the shopper's history is kept now: `'indexeddb'`, or `'memory'` (IndexedDB missing, refused, or taken
   * away while running; see {@link Recommender.storageInfo} for why). A move to memory fires `storagechange`.
   */
  get storage(): StorageKind {
    return this.storageInfo.kind;
  }

  /** {@link Recommender.storage} with the reason for memory and the count of unreadable records skipped at start-up. */
  get storageInfo(): StorageInfo {
    return this.#events.storage!;
  }

  /**
   * Which backend runs the encoder and why the other was skipped. It changes (firing `backendchange`) when the
   * WebGPU device is lost and the encoder moves to WASM.
   */
  get backend(): BackendInfo {
    return this.#events.backend!;
  }

  /** The loaded model: name, dimensions, catalog size, the encoder's sha256, and what scores the catalog (`scorer`). */
  get model(): ReadyInfo['model'] {
    return this.#ready.model;
  }

  /**
   * What search runs on: the lexical index (and whether it was restored from IndexedDB) and the text encoder.
   * `undefined` until search is built: that happens in the background after start-up (see `search.eager`);
   * {@link Recommender.searchReady} waits for it.
   */
  get searchInfo(): SearchInfo | undefined {
    return this.#searchInfo;
  }

  /**
   * Resolves once search is built (starting the build now if it has not started), with what it runs on.
   * `search()` and `catalog.add()` wait for the same build on their own; this is for a page that wants to know.
   * @throws LocalshelfError `MODEL_FETCH` / `MODEL_CORRUPT` when the text model cannot be loaded (retried at the next call), `TIMEOUT`, `ABORTED`
   */
  searchReady(options: CallOptions = {}): Promise<SearchInfo> {
    return this.#guard
      .run(() => this.#remote.searchInfo(), { name: 'searchReady()', timeoutMs: this.#options.callTimeoutMs, signal: options.signal })
      .then((info) => (this.#searchInfo = info));
  }

  /**
   * The active LoRA adapter (`{ version, target, sha256, activatedAt, ageMs }`), `null` while the base model runs
   * unchanged or adapter updates are off. Changes fire `adapterchange`.
   */
  get adapter(): AdapterInfo | null {
    return this.#adapters.info;
  }

  /**
   * Checks the adapter channel now (or joins the check in flight) and swaps in a newer verified adapter. Resolves
   * `{ status: 'updated' | 'current', adapter }`; rejects with `NETWORK`, `STORAGE` or the `ADAPTER_*` code of the
   * failed check (the active adapter stays), `INVALID_ARGUMENT` when `options.adapters` was not given.
   */
  sync(options: CallOptions = {}): Promise<AdapterSyncResult> {
    return this.#guard
      .run(() => this.#remote.syncAdapters(), { name: 'sync()', timeoutMs: this.#options.callTimeoutMs, signal: options.signal })
      .then((result) => this.#adapters.syncResult(result));
  }

  /** True once {@link dispose} ran or the worker died. */
  get disposed(): boolean {
    return this.#disposed || this.#guard.fatal !== undefined;
  }

  /**
   * Records what the shopper did. Validated at once (a malformed event rejects with `INVALID_EVENT` and
   * nothing is stored); valid events are batched into one IndexedDB transaction and the promise resolves
   * once they are written.
   */
  track(event: TrackEvent, options: CallOptions = {}): Promise<void> {
    let stored: StoredEvent;
    try {
      if (this.#guard.fatal) throw this.#guard.fatal;
      stored = validateEvent(event);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      if (this.#queue.length === 0) queueMicrotask(() => this.#flush(options));
      this.#queue.push({ event: stored, resolve, reject });
    });
  }

  #flush(options: CallOptions): void {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    this.#guard
      .run(() => this.#remote.track(batch.map((b) => b.event)), {
        name: 'track()',
        timeoutMs: this.#options.callTimeoutMs,
        signal: options.signal,
      })
      .then(
        () => batch.forEach((b) => b.resolve()),
        (error: unknown) => batch.forEach((b) => b.reject(error)),
      );
  }

  /**
   * Counters per slot (the `slot` of recommend()/related()) over the stored history: shelves shown, items shown,
   * clicks, add-to-carts and purchases that carried the shelf's `recommendationId`, and their rates per shelf.
   * Computed on the device; nothing is sent. Report them yourself for an A/B test.
   */
  metrics(options: CallOptions = {}): Promise<MetricsResult> {
    return this.#guard.run(() => this.#remote.metrics(), { name: 'metrics()', timeoutMs: this.#options.callTimeoutMs, signal: options.signal });
  }

  /**
   * Items to show beside `itemId` on its product page, best first: `mode: 'also'` (default), what shoppers go on to
   * after it (the history encoder run on that one item); `'similar'`, the nearest item vectors. The item itself is
   * never returned; the shopper's own items are, unless `omit` says otherwise.
   * @throws LocalshelfError `UNKNOWN_ITEM`, `INVALID_ARGUMENT`, `INFERENCE`, `TIMEOUT`, `ABORTED`
   */
  related(itemId: string, request: RelatedRequest = {}, options: CallOptions = {}): Promise<RelatedResult> {
    const callId = ++this.#callId;
    return this.#guard.run(() => this.#remote.related(itemId, request, callId), {
      name: 'related()',
      timeoutMs: this.#options.callTimeoutMs,
      signal: options.signal,
      onAbort: (reason) => void this.#remote.abort(callId, String(reason)).catch(() => undefined),
    });
  }

  /**
   * Top-`k` catalog items for this shopper, best first. Items the shopper has already viewed, clicked, carted or
   * bought are left out unless `omit` says otherwise.
   * With no usable history, the most popular items come back with `source: 'popular'`.
   */
  recommend(request: RecommendRequest = {}, options: CallOptions = {}): Promise<RecommendResult> {
    const callId = ++this.#callId;
    return this.#guard.run(() => this.#remote.recommend(request, callId), {
      name: 'recommend()',
      timeoutMs: this.#options.callTimeoutMs,
      signal: options.signal,
      onAbort: (reason) => void this.#remote.abort(callId, String(reason)).catch(() => undefined),
    });
  }

  /**
   * Products for `query`, best first: lexical (MiniSearch) and semantic (text encoder) candidates fused, then
   * re-ranked with the shopper's history unless `personalize: false`. Each result says why it is there.
   * An empty query gives no results; a query over 512 characters or not a string rejects with `INVALID_QUERY`.
   */
  search(query: string, request: SearchRequest = {}, options: CallOptions = {}): Promise<SearchResult> {
    const callId = ++this.#callId;
    return this.#guard.run(() => this.#remote.search(query, request, callId), {
      name: 'search()',
      timeoutMs: this.#options.callTimeoutMs,
      signal: options.signal,
      onAbort: (reason) => void this.#remote.abort(callId, String(reason)).catch(() => undefined),
    });
  }

  /** Run-time additions to the catalog. */
  readonly catalog: CatalogApi = {
    add: (items: NewItem[], options: CallOptions = {}) =>
      this.#guard.run(() => this.#remote.addItems(items), {
        name: 'catalog.add()',
        timeoutMs: this.#options.callTimeoutMs,
        signal: options.signal,
      }),
  };

  /** The shopper's history: export it or delete it. */
  readonly history: HistoryApi = {
    export: (options: CallOptions = {}) =>
      this.#guard.run(() => this.#remote.exportHistory(), {
        name: 'history.export()',
        timeoutMs: this.#options.callTimeoutMs,
        signal: options.signal,
      }),
    clear: (options: CallOptions = {}) =>
      this.#guard.run(() => this.#remote.clearHistory(), {
        name: 'history.clear()',
        timeoutMs: this.#options.callTimeoutMs,
        signal: options.signal,
      }),
  };

  /** Terminates the worker and rejects pending calls with `DISPOSED`. Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#adapters.detach();
    this.#guard.kill(new LocalshelfError('DISPOSED', 'the recommender was disposed'));
    for (const b of this.#queue.splice(0)) b.reject(this.#guard.fatal);
    this.#remote[releaseProxy]();
    this.#worker.terminate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }
}

/** Typed `addEventListener` / `removeEventListener` for {@link RecommenderEventMap}. */
export interface Recommender {
  addEventListener<K extends keyof RecommenderEventMap>(type: K, listener: (this: Recommender, event: RecommenderEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof RecommenderEventMap>(type: K, listener: (this: Recommender, event: RecommenderEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

/**
 * The worker file sits next to the built entry (dist/recommender.worker.js). The built code reads
 * `new Worker(new URL("./recommender.worker.js", import.meta.url), { type: "module" })`, the pattern the app's
 * bundler (Vite, webpack 5, esbuild, Parcel) follows to bundle the worker and its onnxruntime-web wasm.
 */
const WORKER_ENTRY = './recommender.worker.js';

function defaultWorker(): Worker {
  return new Worker(new URL(WORKER_ENTRY, import.meta.url), { type: 'module', name: 'localshelf' });
}

/** Turns worker script errors (failed load, uncaught start-up error) into a fatal error for every call. */
function watchErrors(worker: Worker, guard: CallGuard): void {
  worker.addEventListener('error', (event) => {
    event.preventDefault?.();
    guard.kill(new LocalshelfError('WORKER_FAILED', `the worker failed: ${event.message || 'script error (failed to load?)'}`));
  });
  worker.addEventListener('messageerror', () => {
    guard.kill(new LocalshelfError('WORKER_FAILED', 'a message from the worker could not be deserialized'));
  });
}

/** Learns of the worker's death through the release of the Web Lock it holds for its whole life. */
function watchLifeLock(guard: CallGuard, lockName: string | undefined): void {
  if (lockName && typeof navigator !== 'undefined' && navigator.locks) {
    // Granted only once the worker, which holds this lock for its whole life, is gone.
    void navigator.locks.request(lockName, () => {
      guard.kill(new LocalshelfError('WORKER_DIED', 'the worker was terminated or crashed'));
    });
  }
}

/**
 * Starts a recommender: spawns its worker, downloads and verifies the model files, picks a backend, opens the
 * shopper's history, and resolves once the worker reports ready.
 * @throws LocalshelfError `INVALID_ARGUMENT`, `MODEL_FETCH`, `MODEL_CORRUPT`, `BACKEND_UNAVAILABLE`, `STORAGE`,
 * `WORKER_FAILED`, `TIMEOUT`, `ABORTED`
 */
export async function createRecommender(options: CreateRecommenderOptions): Promise<Recommender> {
  const base = typeof location === 'undefined' ? 'http://localhost/' : location.href;
  const resolved = resolveOptions(options, base);
  const search = resolveSearchOptions(options.search, base);
  if (options.signal?.aborted) throw new LocalshelfError('ABORTED', 'createRecommender() was aborted', { cause: options.signal.reason });
  installErrorTransfer();
  let worker: Worker;
  try {
    worker = (options.createWorker ?? defaultWorker)();
  } catch (cause) {
    throw asLocalshelfError(cause, 'WORKER_FAILED', 'could not create the worker');
  }
  const guard = new CallGuard();
  const lifeLock = typeof navigator !== 'undefined' && navigator.locks ? `localshelf-life-${Date.now()}-${++lifeLockCounter}-${Math.random()}` : undefined;
  watchErrors(worker, guard);
  const remote = wrap<EngineApi>(worker);
  const onProgress = options.onProgress;
  // Progress comes over its own channel, the init result over the worker's: the result can overtake the last
  // reports. createRecommender() resolves only once the page has been told 'ready' (the worker sends it just before
  // it returns), so no report reaches the page after the recommender.
  let readyTold: () => void = () => undefined;
  const toldReady = new Promise<void>((resolve) => (readyTold = resolve));
  const { initTimeoutMs, callTimeoutMs, ...engineConfig } = resolved;
  void callTimeoutMs;
  const adapters = new AdapterLink();
  const events = new EngineEventLink();
  try {
    const ready = await guard.run(
      async () => {
        const info = await remote.init(
          { ...engineConfig, lifeLock, search, ...(resolved.adapters ? { hidden: pageHidden() } : {}) },
          onProgress
            ? proxy((p: Progress) => {
                try {
                  onProgress(p);
                } finally {
                  if (p.status === 'ready') readyTold();
                }
              })
            : undefined,
          resolved.adapters ? proxy(adapters.receive) : undefined,
          proxy(events.receive),
        );
        if (onProgress) await toldReady;
        watchLifeLock(guard, lifeLock);
        return info;
      },
      { name: 'createRecommender()', timeoutMs: initTimeoutMs, signal: options.signal },
    ).catch((error: unknown) => {
      throw guard.fatal ?? error;
    });
    return new Recommender(worker, remote, guard, resolved, ready, adapters, events);
  } catch (error) {
    worker.terminate();
    throw error;
  }
}
