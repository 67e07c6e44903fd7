/**
 * The wire protocol between the main-thread client (`src/`) and the worker engine (`workers/`).
 * Types only: both sides import this file and nothing else of each other.
 */
import type { StoredEvent, TrackEvent } from './events';
import type { Progress } from './progress';
import type { ResolvedOptions } from './options';
import type { AddItemsResult, NewItem, ResolvedSearchOptions, SearchRequest, SearchResult } from './search';
import type { WireError } from './errors';
import type { StorageInfo } from './storage';

/** Which backend runs the encoder, and why the other one does not. */
export interface BackendInfo {
  name: 'webgpu' | 'wasm';
  /**
   * What runs the encoder: `'localshelf'`, the library's own WebAssembly SIMD encoder (WASM, one thread), or
   * `'onnxruntime'` (onnxruntime-web: WebGPU, or WASM with threads on a cross-origin isolated page).
   */
  runtime: 'localshelf' | 'onnxruntime';
  /** WASM threads in use (1 unless onnxruntime runs on a cross-origin isolated page). */
  threads: number;
  /** Why this backend was chosen. */
  reason: string;
  /** Backends tried or considered before this one, with the reason each was skipped. */
  skipped: { name: 'webgpu' | 'wasm'; reason: string }[];
  /** GPU adapter description when WebGPU was considered. */
  adapter?: { vendor: string; architecture: string; isFallbackAdapter: boolean };
}

/** What search runs on: the lexical index, and the text encoder (`null`: lexical only). */
export interface SearchInfo {
  lexical: { library: 'minisearch'; documents: number; restored: boolean };
  text: { model: string; dim: number; semantic: boolean } | null;
}

/** What the worker reports once it is ready to take calls. */
export interface ReadyInfo {
  backend: BackendInfo;
  model: {
    name: string;
    dim: number;
    maxLen: number;
    items: number;
    sha256: string;
    /** What scores the catalog in recommend(): the WebAssembly SIMD kernel, or plain JavaScript where SIMD is missing. */
    scorer: 'wasm-simd' | 'js';
  };
  history: { events: number; storage: StorageInfo };
  /** What search runs on; present when search was built before start-up ended (`search.eager`). */
  search?: SearchInfo;
  /** The adapter active at start-up (restored from the device), `null` for none; absent when adapters are off. */
  adapter?: AdapterWire | null;
}

/** The active LoRA adapter as the worker reports it (the client adds `ageMs`). */
export interface AdapterWire {
  /** `adapterVersion` from the signed targets metadata. */
  version: number;
  /** Path of the adapter file in the channel (`adapters/<sha256>.lsad`). */
  target: string;
  sha256: string;
  /** When this device installed it (verified and stored), ms since the epoch; kept across reloads. */
  activatedAt: number;
  /** The worker's change counter: a report with a higher revision is newer. */
  revision: number;
}

/** What the worker pushes to the client about adapters. */
export type AdapterWireEvent =
  | { type: 'change'; adapter: AdapterWire; previous: AdapterWire | null; source: 'download' | 'peer' }
  | { type: 'error'; error: WireError };

/** Outcome of one adapter check: `'updated'` when the active adapter changed during it. */
export interface AdapterSyncWire {
  status: 'updated' | 'current';
  adapter: AdapterWire | null;
}

/** A catalog entry as results carry it. */
export interface CatalogItem {
  id: string;
  title: string;
}

/** Which of the shopper's own items `recommend()` leaves out; see {@link RecommendRequest.omit}. */
export type OmitPolicy = 'history' | 'purchased' | 'none';

/** A catalog attribute's value (catalog.json: the item's extra keys, or its `attrs`). */
export type AttributeValue = string | number | boolean;

/**
 * A condition on one attribute: equal to a value, one of several, a numeric range (`{ min, max }`, both
 * inclusive, either optional), or a path prefix by segments (`{ prefix: 'Beauty > Skin' }` matches
 * "Beauty > Skin > Moisturizers", not "Beauty > Skincare").
 */
export type Condition = AttributeValue | readonly AttributeValue[] | { min?: number; max?: number } | { prefix: string };

/**
 * Business rules, applied in the worker after every item is scored. An attribute the catalog does not have is
 * `INVALID_ARGUMENT`; a pinned item it does not have is `UNKNOWN_ITEM`.
 */
export interface Rules {
  /** Only items for which every condition holds (e.g. `{ category: { prefix: 'Skin' }, inStock: true, price: { max: 30 } }`). */
  where?: Record<string, Condition>;
  /** Score changes for items that match: `score · multiply + add`, in order. */
  boost?: readonly { where: Record<string, Condition>; multiply?: number; add?: number }[];
  /** Items placed at fixed positions (0 = first), whatever their score and the filters. */
  pin?: readonly { itemId: string; position: number }[];
  /**
   * `maxPer`: at most `count` items per value of `attribute` (e.g. two per brand). `lambda`: MMR trade-off
   * between score (1) and dissimilarity to the items already chosen (0). @defaultValue no cap, `lambda` 1
   */
  diversity?: { maxPer?: { attribute: string; count: number }; lambda?: number };
}

export interface RecommendRequest {
  /** Name of the shelf ("home", "cart-upsell"), for `metrics()`. @defaultValue `'recommend'` */
  slot?: string;
  /** Filters, boosts, pins and diversity (see {@link Rules}). */
  rules?: Rules;
  /**
   * Demote items this shopper was shown (`impression` events) more than twice without viewing, clicking, carting
   * or buying them; the count decays with a one-day half-life (EVAL.md "Feedback loop"). @defaultValue `true`
   */
  feedback?: boolean;
  /** Slots at the end of the shelf drawn from the candidates just below it (exploration). @defaultValue `0` */
  explore?: number;
  /** How many items. @defaultValue `10` */
  k?: number;
  /** Item ids never to return (on top of {@link RecommendRequest.omit}). */
  exclude?: readonly string[];
  /** Restrict results to these item ids (e.g. what is in stock). */
  filter?: { ids?: readonly string[] };
  /**
   * Which of the shopper's own items to leave out: `'history'`, every item the stored history has a view, click,
   * cart or purchase of (what a "recommended for you" slot wants, and what EVAL.md's headline figures measure);
   * `'purchased'`, only bought items (a "buy again" or "keep browsing" slot); `'none'`.
   * @defaultValue `'history'`
   */
  omit?: OmitPolicy;
}

/** A history item that explains a recommendation: its vector is close to the recommended item's. */
export interface Reason {
  /** The history item. */
  itemId: string;
  title: string;
  /** Cosine similarity of the two items' vectors, in (0, 1]; reasons come best first. */
  weight: number;
}

export interface Recommendation extends CatalogItem {
  /** Dot product of the user vector and the item vector (or popularity count for `'popular'`). */
  score: number;
  /**
   * Personal results: up to three of the shopper's history items that explain this one best ("Because you viewed
   * …"), best first; empty when none is close. Absent on popular and related results.
   */
  because?: Reason[];
}

/** `related()` modes: `'also'`, what shoppers go on to after this item (the history encoder run on it); `'similar'`, the nearest item vectors. */
export type RelatedMode = 'also' | 'similar';

export interface RelatedRequest {
  /** Name of the shelf, for `metrics()`. @defaultValue `'related'` */
  slot?: string;
  /** Filters, boosts, pins and diversity (see {@link Rules}). */
  rules?: Rules;
  /** How many items. @defaultValue `10` */
  k?: number;
  /** @defaultValue `'also'` (better on Beauty, EVAL.md "Related items and reasons") */
  mode?: RelatedMode;
  /** Item ids never to return (the item itself never is). */
  exclude?: readonly string[];
  /** Restrict results to these item ids. */
  filter?: { ids?: readonly string[] };
  /** Which of the shopper's own items to leave out, as in `recommend()`. @defaultValue `'none'` */
  omit?: OmitPolicy;
}

export interface RelatedResult {
  items: Recommendation[];
  /** Echo it on the impression, click, add_to_cart and purchase events of this shelf (see `metrics()`). */
  recommendationId: string;
  mode: RelatedMode;
  /** Time spent in the worker, ms. */
  elapsedMs: number;
}

export interface RecommendResult {
  items: Recommendation[];
  /** `<slot>#<unique>`: echo it on the impression, click, add_to_cart and purchase events of this shelf (see `metrics()`). */
  recommendationId: string;
  /** `'personal'`: scored from the shopper's history; `'popular'`: no usable history, most popular items. */
  source: 'personal' | 'popular';
  /** How many history events fed the encoder. */
  historyUsed: number;
  /** Time spent in the worker, ms. */
  elapsedMs: number;
}

/** Counters of one slot over the stored history. Rates are per shelf shown (impression events). */
export interface SlotMetrics {
  /** Impression events with this slot's recommendationId (shelves shown). */
  shelves: number;
  itemsShown: number;
  clicks: number;
  addToCart: number;
  purchases: number;
  /** clicks / shelves. */
  ctr: number;
  /** addToCart / shelves. */
  cartRate: number;
  /** purchases / shelves. */
  purchaseRate: number;
}

export interface MetricsResult {
  slots: Record<string, SlotMetrics>;
  /** Stored events counted (the history keeps up to `historyCap`). */
  events: number;
}

/** Configuration the worker starts from (resolved options minus main-thread-only fields). */
export type EngineConfig = Omit<ResolvedOptions, 'initTimeoutMs' | 'callTimeoutMs'> & {
  /** Name of a Web Lock the worker holds for its lifetime, so the client learns when it dies. */
  lifeLock?: string;
  /** Search options, resolved (src/search.ts). */
  search?: ResolvedSearchOptions;
  /** The page was hidden at start-up: adapter checks start paused. */
  hidden?: boolean;
};

/** What the worker reports after start-up (see src/engine-events.ts). */
export type EngineEvent =
  | { type: 'storage'; storage: StorageInfo }
  | { type: 'backend'; backend: BackendInfo; previous: BackendInfo; recoveryMs: number };

/** The API the worker exposes through comlink. `callId` ties a call to an abort request. */
export interface EngineApi {
  init(
    config: EngineConfig,
    onProgress?: (p: Progress) => void,
    onAdapterEvent?: (event: AdapterWireEvent) => void,
    onEngineEvent?: (event: EngineEvent) => void,
  ): Promise<ReadyInfo>;
  track(events: TrackEvent[]): Promise<number>;
  recommend(request: RecommendRequest, callId: number): Promise<RecommendResult>;
  related(itemId: string, request: RelatedRequest, callId: number): Promise<RelatedResult>;
  metrics(): Promise<MetricsResult>;
  search(query: string, request: SearchRequest, callId: number): Promise<SearchResult>;
  /** Builds search if it is not built yet, and reports what it runs on. */
  searchInfo(): Promise<SearchInfo>;
  addItems(items: NewItem[]): Promise<AddItemsResult>;
  exportHistory(): Promise<StoredEvent[]>;
  clearHistory(): Promise<void>;
  abort(callId: number, reason?: string): void;
  /** Checks the adapter channel now. Rejects with `INVALID_ARGUMENT` when adapters are off. */
  syncAdapters(): Promise<AdapterSyncWire>;
  /** The page became visible (checks resume) or hidden (checks pause). */
  setVisibility(visible: boolean): void;
}
