/**
 * The worker engine: loads the model, opens the history, and answers the client's calls
 * (the `EngineApi` of src/protocol.ts).
 */
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { LocalshelfError, asLocalshelfError, describeValue } from '../src/errors';
import { validateEvent, type ItemEventType, type StoredEvent, type TrackEvent } from '../src/events';
import type { Progress } from '../src/progress';
import type { AdapterSyncWire, AdapterWireEvent, EngineApi, EngineConfig, EngineEvent, ReadyInfo, RecommendRequest, RecommendResult, RelatedRequest, RelatedResult, MetricsResult, SearchInfo } from '../src/protocol';
import { AdapterHost, type AdapterWeights } from './adapters/host';
import { AddedItemStore } from './catalog-store';
import { CatalogView, type CatalogSnapshot } from './catalog-view';
import { buildEncoderInput, createEncoderInputBuffers, ENCODER_INPUTS, ENCODER_OUTPUT, type EncoderInputBuffers, type EventTypeId, type HistoryEvent } from './engine/encoder-input';
import type { ItemMatrix } from './engine/item-matrix';
import { createScorer, type Scorer } from './engine/simd-scorer';
import { ShopperProfile } from './history/profile';
import { openHistory, type History } from './history/history';
import { checkRecommendRequest, checkRelatedRequest } from './recommend-request';
import { reasonsFor, similarTo } from './related';
import { Shelves } from './shelf';
import { checkSlot, recommendationId, slotMetrics } from './metrics';
import { HistoryPeers } from './history/peers';
import { loadRuntime, openEncoder, openSibling, reopenOnWasm, type OpenedSession, type Ort } from './runtime/backend';
import { SasrecEncoder } from './engine/encoder/sasrec';
import { loadModel, type Manifest } from './runtime/load-model';
import { createTurns } from './runtime/turns';
import { historyRows, offlineAssets, startSearch, type StartedSearch } from './search/bridge';
import type { SearchEngine, SearchContext } from './search/engine';
import type { AddItemsResult, NewItem, SearchRequest, SearchResult } from '../src/search';

const TYPE_ID: Record<ItemEventType, EventTypeId> = { view: 1, click: 2, add_to_cart: 3, purchase: 4 };

/** LoRA tensor data as the adapter channel delivers it; wrapped in onnxruntime tensors only where onnxruntime runs. */
interface Feed {
  data: Float32Array;
  dims: readonly number[];
}

interface Ready {
  manifest: Manifest;
  /** The history encoder: the library's own (`own`), or an onnxruntime session (`opened`); exactly one is set. */
  own?: { encoder: SasrecEncoder; applied: AdapterWeights<Feed> | undefined };
  opened?: OpenedSession;
  /** onnxruntime-web for search's text encoder: the history encoder's, or loaded on first need. */
  runtime: () => Promise<{ ort: Ort }>;
  /** Settles once every offline copy started so far is written (onnxruntime's wasm is fetched when it starts). */
  offlineWritten: () => Promise<void>;
  /** The model's rows + the active update's changes + `catalog.add()` products. */
  view: CatalogView;
  /** The snapshot calls run on, its scorer, and the weights it was built for (rebuilt when they change). */
  current: { snapshot: CatalogSnapshot; scorer: Scorer; weights: AdapterWeights<Feed> };
  /** Products added with `catalog.add()`, on the device. */
  addedStore: AddedItemStore;
  store: History;
  peers: HistoryPeers;
  profile: ShopperProfile;
  /** The base model's weights: zero LoRA feeds, no bias. */
  baseWeights: AdapterWeights<Feed>;
  /**
   * The encoders: whether `opened.session` takes the LoRA inputs, and, when it is the LoRA-free one
   * (`files.encoderBase`) and an adapter channel is on, the full graph, opened on the first call that needs LoRA.
   */
  graph: { takesLora: boolean; lora?: { bytes: Uint8Array; session?: Promise<InferenceSession> } };
  /** onnxruntime's input buffers, made on its first run (the own encoder has its own). */
  buffers?: EncoderInputBuffers;
  info: ReadyInfo;
  /** Search's downloads, done at start-up; building it (index, text encoder) is `#buildSearch`'s, on first need. */
  searchStart: StartedSearch;
  /** The signed adapter channel, when `options.adapters` is set. */
  adapters?: AdapterHost<Feed>;
}

/** What calls run on: `snapshot`, its scorer (kept from `previous` while the matrix is the same), `weights`. */
function current(snapshot: CatalogSnapshot, weights: AdapterWeights<Feed>, previous?: Ready['current']): Ready['current'] {
  const scorer = previous?.snapshot.matrix === snapshot.matrix ? previous.scorer : createScorer(snapshot.matrix);
  return { snapshot, scorer, weights };
}

/** Thrown into an encoder run that was in flight when the GPU device was lost; the run is retried on WASM. */
const DEVICE_LOST = Symbol('device lost');

/** Search is built this long after start-up when no call has asked for it sooner. */
const SEARCH_WARM_DELAY_MS = 300;

/** What a worker entry gives the engine: the WebGPU runtime loader in the `localshelf/webgpu` worker. */
export interface ServiceOptions {
  webgpu?: () => Promise<typeof import('onnxruntime-web')>;
}

/** onnxruntime tensors for a set of LoRA feeds, made once per set. */
const ortFeeds = new WeakMap<AdapterWeights<Feed>, Record<string, Tensor>>();
function tensorsOf(weights: AdapterWeights<Feed>, ort: Ort): Record<string, Tensor> {
  let out = ortFeeds.get(weights);
  if (!out) {
    out = {};
    for (const [name, f] of Object.entries(weights.feeds)) out[name] = new ort.Tensor('float32', f.data, [...f.dims]);
    ortFeeds.set(weights, out);
  }
  return out;
}

export class RecommenderService implements EngineApi {
  readonly #webgpu: ServiceOptions['webgpu'];
  #ready: Ready | undefined;
  /** One onnxruntime run at a time: the encoder, the search build, the text encoder. */
  readonly #exclusive = createTurns();
  /** Search, once its build has started (reset after a failed build, so the next call tries again). */
  #search: Promise<SearchEngine> | undefined;
  readonly #aborts = new Map<number, AbortController>();
  readonly #shelves = new Shelves();
  /** Set when the WebGPU device is lost: resolves once the encoder runs on WASM. */
  #toWasm: Promise<void> | undefined;
  /**
   * The last two user vectors and what each was computed from: a call on the same history, rows and weights reuses
   * one (two: a product page asks for recommend() and related() on every render).
   */
  #lastUsers: { matrix: ItemMatrix; weights: AdapterWeights<Feed>; history: readonly HistoryEvent[]; user: Float32Array }[] = [];

  constructor(options: ServiceOptions = {}) {
    this.#webgpu = options.webgpu;
  }

  async init(
    config: EngineConfig,
    onProgress?: (p: Progress) => void,
    onAdapterEvent?: (event: AdapterWireEvent) => void,
    onEngineEvent?: (event: EngineEvent) => void,
  ): Promise<ReadyInfo> {
    if (this.#ready) throw new LocalshelfError('INVALID_ARGUMENT', 'the engine is already initialised');
    if (config.lifeLock && globalThis.navigator?.locks) {
      // Held until this worker dies; the client waits on it to learn of our death.
      void navigator.locks.request(config.lifeLock, () => new Promise<never>(() => undefined));
    }
    const offline = offlineAssets(config);
    const fetch = offline.fetch;
    // The history opens while the model files download (IndexedDB's first open is tens of ms on a first visit).
    const historyOpening = openHistory({
      name: config.storageName,
      cap: config.historyCap,
      preference: config.storage,
      onChange: (storage) => void Promise.resolve(onEngineEvent?.({ type: 'storage', storage })).catch(() => undefined),
    });
    historyOpening.catch(() => undefined); // met again below, after the model
    const addedOpening = AddedItemStore.opening(`${config.storageName}-catalog`);
    // The library's own encoder is built from the LoRA-free graph as soon as that file is in, while the item matrix
    // and the catalog still download (where it will run: not on a WebGPU or onnxruntime request).
    let early: { bytes: Uint8Array; encoder?: SasrecEncoder } | undefined;
    const onEncoder =
      config.runtime !== 'onnxruntime' && config.backend !== 'webgpu'
        ? (bytes: Uint8Array, takesLora: boolean) => {
            if (takesLora) return;
            early = { bytes };
            try {
              early.encoder = SasrecEncoder.fromOnnx(bytes);
            } catch {
              // built (and refused with its reason) again below, where the fallback decides
            }
          }
        : undefined;
    // the LoRA-free encoder when the folder has one (60 fewer nodes a run: BENCHMARKS.md, "Encoder breakdown"); the
    // one with LoRA inputs only when an adapter channel may bring LoRA
    let model: Awaited<ReturnType<typeof loadModel>>;
    try {
      model = await loadModel({ manifestUrl: config.modelUrl, files: config.files, onProgress, fetch, withLora: config.adapters !== undefined, ...(onEncoder ? { onEncoder } : {}) });
    } catch (error) {
      void historyOpening.then((h) => h.history.close(), () => undefined);
      addedOpening.abandon();
      throw error;
    }
    const { manifest, matrix } = model;
    const view = new CatalogView(model.catalog, matrix);
    const catalog = view.current.catalog;
    // The text-model downloads start here: they need neither onnxruntime nor the history.
    const searchStart = startSearch({ config, manifest, catalog, matrix, fetch, onProgress });
    const runtimeOptions = { wasmPaths: config.wasmPaths, threads: config.threads, ...(this.#webgpu ? { webgpu: this.#webgpu } : {}) };
    // products added by catalog.add(), kept per base model: read while the encoder and the history open
    const addedReading = addedOpening
      .store(`${model.encoderSha256}:${manifest.sha256['items.lsim'] ?? ''}`)
      .then(async (added) => ({ added, items: await added.load() }));
    const [encoder, openedHistory, { added: addedStore, items: addedItems }] = await Promise.all([
      // the library's own encoder runs the LoRA-free graph; the one with LoRA inputs is onnxruntime's
      openEncoder({
        preference: config.backend,
        runtime: model.encoderTakesLora ? 'onnxruntime' : config.runtime,
        model: model.encoderBytes,
        own: () => (early?.bytes === model.encoderBytes && early.encoder ? early.encoder : SasrecEncoder.fromOnnx(model.encoderBytes)),
        ...runtimeOptions,
      }),
      historyOpening,
      addedReading,
    ]);
    const store = openedHistory.history;
    const profile = new ShopperProfile(manifest.maxLen);
    profile.add(openedHistory.events);
    const peers = new HistoryPeers(config.storageName, { added: (events) => profile.add(events), cleared: () => profile.clear() });
    const { opened } = encoder;
    const loraFeeds: Record<string, Feed> = {};
    const rank = manifest.lora?.rank ?? 0;
    for (const t of manifest.lora?.targets ?? []) {
      loraFeeds[`lora.${t.name}.A`] = { data: new Float32Array(rank * t.in), dims: [rank, t.in] };
      loraFeeds[`lora.${t.name}.B`] = { data: new Float32Array(t.out * rank), dims: [t.out, rank] };
    }
    view.add(addedItems);
    const adapters = config.adapters
      ? await AdapterHost.start<Feed>({
          channel: config.adapters,
          storageName: config.storageName,
          model: {
            baseModel: model.encoderSha256,
            lora: manifest.lora ?? { rank: 0, targets: [] },
            numItems: manifest.numItems,
            dim: manifest.dim,
            ...(manifest.sha256['items.lsim'] ? { baseItems: manifest.sha256['items.lsim'] } : {}),
            hasItem: (id: string) => catalog.row(id) !== undefined,
          },
          baseFeeds: loraFeeds,
          tensor: (data, dims) => ({ data, dims: [...dims] }),
          hidden: config.hidden,
          onEvent: (event) => void Promise.resolve(onAdapterEvent?.(event)).catch(() => undefined),
        })
      : undefined;
    // The model's files are in and their offline copies written before 'ready': a page closed right after start-up
    // still has them next time. With onnxruntime, search's text-model files come in while it starts, and are waited
    // for too; the library's own encoder needs no start, so 'ready' does not wait for them (they go on downloading,
    // unreported: no progress report comes after 'ready'; search's build awaits them and their copies).
    const baseWeights: AdapterWeights<Feed> = { feeds: loraFeeds, lora: false };
    const weights = adapters?.weights ?? baseWeights;
    // (a channel swap meanwhile is picked up by the first call: #current compares the weights)
    const first = current(view.setUpdate(weights.items, weights.bias), weights);
    const { snapshot, scorer } = first;
    // a shopper with no history gets the popular shelf first: its order is sorted while the copies are written
    if (openedHistory.events.length === 0) void snapshot.catalog.byPopularity;
    if (!encoder.own) await searchStart.downloads;
    await offline.written(encoder.own ? (url) => !searchStart.fetchesAhead(url) : undefined);
    let runtime: Promise<{ ort: Ort }> | undefined;
    const ready: Omit<Ready, 'info'> = {
      manifest,
      ...(encoder.own ? { own: { encoder: encoder.own, applied: undefined } } : { opened: encoder.opened }),
      runtime: () => {
        if (opened) return Promise.resolve(opened);
        runtime ??= loadRuntime({ ...runtimeOptions, webgpu: undefined }); // search runs on WASM: never the JSEP build
        const pending = runtime;
        pending.catch(() => {
          if (runtime === pending) runtime = undefined; // tried again by the next search build
        });
        return pending;
      },
      offlineWritten: offline.written,
      view,
      current: first,
      addedStore,
      store,
      peers,
      profile,
      baseWeights,
      graph: { takesLora: model.encoderTakesLora, ...(model.loraEncoderBytes ? { lora: { bytes: model.loraEncoderBytes } } : {}) },
      searchStart,
      adapters,
    };
    const eager = config.search?.eager === true ? await this.#buildSearch(ready) : undefined;
    const info: ReadyInfo = {
      backend: encoder.info,
      model: { name: manifest.name, dim: manifest.dim, maxLen: manifest.maxLen, items: snapshot.matrix.rows, sha256: model.encoderSha256, scorer: scorer.kind },
      history: { events: openedHistory.events.length, storage: openedHistory.info },
      ...(eager ? { search: eager.info } : {}),
      ...(adapters ? { adapter: adapters.info } : {}),
    };
    this.#ready = { ...ready, info };
    if (opened?.device) this.#watchDevice(opened.device, model.encoderBytes, onEngineEvent);
    searchStart.quiet();
    onProgress?.({ status: 'ready', backend: encoder.info.name });
    // Build search when the worker is free: after the first recommendation, at the first search call, or soon.
    setTimeout(() => this.#warmSearch(), SEARCH_WARM_DELAY_MS);
    return info;
  }

  /**
   * Search, built on first need (the build runs once; a failed one is retried by the next call). The build
   * creates the text encoder's onnxruntime session, so it waits its turn among the encoder's runs, and so do the
   * text encoder's runs afterwards: one onnxruntime, one model running at a time.
   */
  #buildSearch(ready: Pick<Ready, 'searchStart' | 'runtime' | 'offlineWritten'>): Promise<SearchEngine> {
    if (!this.#search) {
      const building = this.#exclusive(async () => {
        const engine = await ready.searchStart.open(await ready.runtime(), this.#exclusive);
        await ready.offlineWritten(); // onnxruntime's wasm, fetched as search started it, is kept for offline visits
        return engine;
      });
      this.#search = building;
      building.catch(() => {
        if (this.#search === building) this.#search = undefined;
      });
    }
    return this.#search;
  }

  /** Starts building search in the background, if it is not built or building; its failure waits for a caller. */
  #warmSearch(): void {
    if (this.#ready && !this.#search) this.#buildSearch(this.#ready).catch(() => undefined);
  }

  async searchInfo(): Promise<SearchInfo> {
    return (await this.#buildSearch(this.#need())).info;
  }

  #need(): Ready {
    if (!this.#ready) throw new LocalshelfError('NOT_READY', 'the engine is not initialised');
    return this.#ready;
  }

  async track(events: TrackEvent[]): Promise<number> {
    const ready = this.#need();
    if (!Array.isArray(events)) throw new LocalshelfError('INVALID_EVENT', 'track() takes an array of events');
    const valid = events.map((e) => validateEvent(e)); // all or nothing: one bad event stores none
    const { stored } = await ready.store.append(valid);
    ready.profile.add(stored);
    ready.peers.added(stored);
    return stored.length;
  }

  async recommend(request: RecommendRequest, callId: number): Promise<RecommendResult> {
    const ready = this.#need();
    const started = performance.now();
    const checked = checkRecommendRequest(request);
    const k = checked.k;
    const rid = recommendationId(checkSlot((request as RecommendRequest | undefined)?.slot, 'recommend'));
    // this call runs on these weights and rows even if an update swaps in meanwhile
    const { snapshot: snap, scorer, weights } = this.#current(ready);
    const src = { ...snap, profile: ready.profile, scorer };
    const rules = this.#shelves.rules(snap.catalog, request);
    const abort = new AbortController();
    this.#aborts.set(callId, abort);
    let mask: Uint8Array | undefined;
    try {
      mask = this.#shelves.exclusionMask(src, checked);
      const history: HistoryEvent[] = [];
      for (const e of ready.profile.recent) {
        const row = snap.catalog.row(e.itemId);
        if (row !== undefined) history.push({ row, type: TYPE_ID[e.type] });
      }
      const used = history.slice(-ready.manifest.maxLen);
      if (used.length === 0) return { ...this.#shelves.popular(src, k, mask, started, rules), recommendationId: rid };
      const user = await this.#encode(ready, snap.matrix, used, weights);
      if (abort.signal.aborted) throw new LocalshelfError('ABORTED', 'recommend() was aborted', { cause: abort.signal.reason });
      const scores = scorer.score(user, snap.bias);
      if (checked.feedback) this.#shelves.demote(src, scores, mask, k);
      if (checked.explore > 0 && (rules?.pin || rules?.diversity)) throw new LocalshelfError('INVALID_ARGUMENT', 'explore cannot be combined with rules.pin or rules.diversity');
      const best = this.#shelves.select(src, scores, mask, k, rules, checked.explore);
      const norms = this.#shelves.norms(snap.matrix);
      const rows = used.map((h) => h.row);
      const entry = (row: number) => ({ id: snap.catalog.entries[row]!.id, title: snap.catalog.entries[row]!.title });
      const items = Array.from(best.rows, (row, i) => ({
        ...entry(row),
        score: best.scores[i]!,
        because: reasonsFor(snap.matrix, norms, row, rows).map((r) => ({ itemId: entry(r.row).id, title: entry(r.row).title, weight: r.weight })),
      }));
      return { items, source: 'personal', historyUsed: used.length, recommendationId: rid, elapsedMs: performance.now() - started };
    } finally {
      this.#aborts.delete(callId);
      if (mask) this.#shelves.release(mask);
      // After this answer is posted (a macrotask later), the worker is free: build search then.
      if (!this.#search) setTimeout(() => this.#warmSearch(), 0);
    }
  }

  /**
   * Items for a product page: what shoppers go on to after `itemId` (`'also'`: the history encoder on that one
   * item, the adapter applied as in recommend()) or the nearest item vectors (`'similar'`).
   */
  async related(itemId: string, request: RelatedRequest, callId: number): Promise<RelatedResult> {
    const ready = this.#need();
    const started = performance.now();
    const checked = checkRelatedRequest(request);
    const rid = recommendationId(checkSlot((request as RelatedRequest | undefined)?.slot, 'related'));
    const { snapshot: snap, scorer, weights } = this.#current(ready);
    const src = { ...snap, profile: ready.profile, scorer };
    const rules = this.#shelves.rules(snap.catalog, request);
    const row = typeof itemId === 'string' ? snap.catalog.row(itemId) : undefined;
    if (row === undefined || snap.removed?.[row]) throw new LocalshelfError('UNKNOWN_ITEM', `related(): the catalog has no item ${describeValue(itemId)}`);
    const abort = new AbortController();
    this.#aborts.set(callId, abort);
    let mask: Uint8Array | undefined;
    try {
      mask = this.#shelves.exclusionMask(src, checked);
      mask[row] = 1;
      let scores: Float32Array;
      if (checked.mode === 'similar') scores = similarTo(snap.matrix, this.#shelves.norms(snap.matrix), row);
      else {
        const user = await this.#encode(ready, snap.matrix, [{ row, type: 1 }], weights);
        if (abort.signal.aborted) throw new LocalshelfError('ABORTED', 'related() was aborted', { cause: abort.signal.reason });
        scores = scorer.score(user, snap.bias);
      }
      const best = this.#shelves.select(src, scores, mask, checked.k, rules);
      const items = Array.from(best.rows, (r, i) => ({ id: snap.catalog.entries[r]!.id, title: snap.catalog.entries[r]!.title, score: best.scores[i]! }));
      return { items, mode: checked.mode, recommendationId: rid, elapsedMs: performance.now() - started };
    } finally {
      this.#aborts.delete(callId);
      if (mask) this.#shelves.release(mask);
    }
  }

  /**
   * When the GPU device is lost, the encoder moves to WASM on the runtime already loaded; runs in flight and runs
   * started meanwhile wait for the move and run there. The page hears of it as a `backendchange` event.
   */
  #watchDevice(device: GPUDevice, encoderBytes: Uint8Array, onEngineEvent?: (event: EngineEvent) => void): void {
    void device.lost.then((lost) => {
      const ready = this.#ready;
      if (!ready?.opened || ready.opened.device !== device) return;
      const started = performance.now();
      const previous = ready.opened.info;
      const why = `the WebGPU device was lost (${lost.reason}${lost.message ? `: ${lost.message}` : ''}); the encoder runs on WASM since`;
      const from = ready.opened;
      this.#toWasm = reopenOnWasm(from, encoderBytes, why).then((opened) => {
        const old = from.session;
        const lora = ready.graph.lora;
        const oldLora = lora?.session;
        if (lora) lora.session = undefined; // opened again on WASM when next needed
        void oldLora?.then((s) => s.release()).catch(() => undefined);
        ready.opened = opened;
        ready.info.backend = opened.info;
        void old.release().catch(() => undefined);
        const event: EngineEvent = { type: 'backend', backend: opened.info, previous, recoveryMs: performance.now() - started };
        void Promise.resolve(onEngineEvent?.(event)).catch(() => undefined);
      });
      this.#toWasm.catch(() => undefined);
    });
  }

  /**
   * Runs the encoder. The library's own runs at once (synchronous, it waits for no onnxruntime turn, so a search
   * build does not delay a recommendation); onnxruntime runs are serialized (one session runs one call at a time).
   */
  #encode(ready: Ready, matrix: ItemMatrix, history: HistoryEvent[], weights: AdapterWeights<Feed>): Promise<Float32Array> {
    const hit = this.#lastUsers.find((u) => u.matrix === matrix && u.weights === weights && sameHistory(u.history, history));
    if (hit) return Promise.resolve(hit.user);
    return this.#encodeNow(ready, matrix, history, weights).then((user) => {
      this.#lastUsers = [{ matrix, weights, history, user }, ...this.#lastUsers.slice(0, 1)];
      return user;
    });
  }

  #encodeNow(ready: Ready, matrix: ItemMatrix, history: HistoryEvent[], weights: AdapterWeights<Feed>): Promise<Float32Array> {
    const own = ready.own;
    if (own) {
      try {
        if (own.applied !== weights) {
          const rank = ready.manifest.lora?.rank ?? 0;
          own.encoder.setLora(
            weights.lora
              ? (target) => {
                  const a = weights.feeds[`lora.${target}.A`];
                  const b = weights.feeds[`lora.${target}.B`];
                  return a && b ? { a: a.data, b: b.data, rank } : undefined;
                }
              : undefined,
          );
          own.applied = weights;
        }
        return Promise.resolve(own.encoder.encode(matrix, history));
      } catch (cause) {
        return Promise.reject(asLocalshelfError(cause, 'INFERENCE', 'the encoder failed'));
      }
    }
    const run = async (): Promise<Float32Array> => {
      const opened = ready.opened!;
      ready.buffers ??= createEncoderInputBuffers(1, ready.manifest.maxLen, ready.manifest.dim);
      const input = buildEncoderInput(matrix, history, ready.manifest.maxLen, ready.buffers);
      const { Tensor } = opened.ort;
      const inputs: InferenceSession.FeedsType = {
        [ENCODER_INPUTS.itemVectors]: new Tensor('float32', input.itemVectors, [...input.itemVectorsDims]),
        [ENCODER_INPUTS.eventTypes]: new Tensor('int64', input.eventTypes, [...input.eventTypesDims]),
      };
      // the session the engine started on, unless this call's weights carry LoRA and that one has no LoRA inputs
      const target = async (): Promise<{ session: InferenceSession; feeds: InferenceSession.FeedsType }> => {
        const { takesLora, lora } = ready.graph;
        const current = ready.opened!;
        if (takesLora) return { session: current.session, feeds: { ...tensorsOf(weights, current.ort), ...inputs } };
        if (!weights.lora || !lora) return { session: current.session, feeds: inputs }; // LoRA only comes through the channel
        lora.session ??= openSibling(current, lora.bytes);
        const pending = lora.session;
        pending.catch(() => {
          if (lora.session === pending) lora.session = undefined; // tried again by the next call
        });
        return { session: await pending, feeds: { ...tensorsOf(weights, current.ort), ...inputs } };
      };
      try {
        if (this.#toWasm) await this.#toWasm;
        const device = opened.device;
        const { session, feeds } = await target();
        const running = session.run(feeds);
        let out: InferenceSession.ReturnType;
        try {
          // A run on a lost device may never settle: the loss ends the wait, and the run goes again on WASM.
          out = device ? await Promise.race([running, device.lost.then(() => Promise.reject(DEVICE_LOST))]) : await running;
        } catch (error) {
          if (!device || !this.#toWasm) throw error;
          running.catch(() => undefined);
          await this.#toWasm;
          const again = await target();
          out = await again.session.run(again.feeds);
        }
        const user = out[ENCODER_OUTPUT];
        if (!user) throw new Error(`the encoder has no output "${ENCODER_OUTPUT}"`);
        return (await user.getData()) as Float32Array;
      } catch (cause) {
        throw asLocalshelfError(cause, 'INFERENCE', 'the encoder failed');
      }
    };
    return this.#exclusive(run);
  }

  async search(query: string, request: SearchRequest, callId: number): Promise<SearchResult> {
    const ready = this.#need();
    const abort = new AbortController();
    this.#aborts.set(callId, abort);
    try {
      const current = this.#current(ready);
      const rules = this.#shelves.rules(current.snapshot.catalog, request);
      if (rules && Object.keys(rules).some((key) => key !== 'where')) {
        throw new LocalshelfError('INVALID_ARGUMENT', 'search() takes rules.where only (filters); boosts, pins and diversity are for recommend() and related()');
      }
      const engine = await this.#buildSearch(ready);
      return await engine.search(query, request, { ...this.#searchContext(ready, current), ...(rules?.where ? { where: rules.where } : {}) }, abort.signal);
    } finally {
      this.#aborts.delete(callId);
    }
  }

  async addItems(items: NewItem[]): Promise<AddItemsResult> {
    const ready = this.#need();
    const started = performance.now();
    const engine = await this.#buildSearch(ready);
    const { snapshot } = this.#current(ready);
    const { entries, vectors } = await engine.embedNewItems(items, snapshot.catalog, snapshot.matrix.dim);
    const added = CatalogView.quantize(entries, vectors, snapshot.matrix.dim);
    await ready.addedStore.save(added); // on the device before it is used: a failed write adds nothing
    ready.current = current(ready.view.add(added), ready.current.weights, ready.current);
    return { added: added.length, catalogSize: ready.current.snapshot.catalog.size, elapsedMs: performance.now() - started };
  }

  #searchContext(ready: Ready, current = this.#current(ready)): SearchContext {
    const { snapshot: snap, weights } = current;
    return {
      catalog: snap.catalog,
      matrix: snap.matrix,
      ...(snap.removed ? { removed: snap.removed } : {}),
      userVector: async () => {
        const rows = historyRows(ready.profile, snap.catalog, ready.manifest.maxLen);
        return rows.length ? { vector: await this.#encode(ready, snap.matrix, rows, weights), used: rows.length } : undefined;
      },
    };
  }

  /**
   * The snapshot, scorer and weights a call runs on: rebuilt when the channel swapped the weights (an update's
   * rows, new products and bias go in with its LoRA, as one). Read once per call.
   */
  #current(ready: Ready): Ready['current'] {
    const weights = ready.adapters?.weights ?? ready.baseWeights;
    if (weights !== ready.current.weights) ready.current = current(ready.view.setUpdate(weights.items, weights.bias), weights, ready.current);
    return ready.current;
  }

  /** Counters per slot over the stored history (workers/metrics.ts). */
  async metrics(): Promise<MetricsResult> {
    const events = await this.#need().store.all();
    return { slots: slotMetrics(events), events: events.length };
  }

  async exportHistory(): Promise<StoredEvent[]> {
    return this.#need().store.all();
  }

  async clearHistory(): Promise<void> {
    const ready = this.#need();
    await ready.store.clear();
    ready.profile.clear();
    ready.peers.cleared();
  }

  abort(callId: number, reason?: string): void {
    this.#aborts.get(callId)?.abort(reason);
  }

  async syncAdapters(): Promise<AdapterSyncWire> {
    const { adapters } = this.#need();
    if (!adapters) throw new LocalshelfError('INVALID_ARGUMENT', 'adapter updates are off: pass options.adapters to createRecommender()');
    return adapters.sync();
  }

  setVisibility(visible: boolean): void {
    this.#ready?.adapters?.setVisible(visible);
  }
}

/** Same rows and event types in the same order: the encoder's input is the same, so is its output. */
function sameHistory(a: readonly HistoryEvent[], b: readonly HistoryEvent[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.row !== b[i]!.row || a[i]!.type !== b[i]!.type) return false;
  return true;
}
