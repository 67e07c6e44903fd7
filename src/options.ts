/**
 * Options of `createRecommender()`, their defaults, and their one-time resolution. Nothing is read from
 * globals: every instance carries its own configuration.
 */
import { LocalshelfError, describeValue } from './errors';
import type { Progress } from './progress';
import { STORAGE_PREFERENCES, type StoragePreference } from './storage';

/** Backends the engine can run the encoder on. */
export const BACKENDS = ['auto', 'webgpu', 'wasm'] as const;
export type BackendPreference = (typeof BACKENDS)[number];

/** What runs the history encoder on the CPU (see `RecommenderOptions.runtime`). */
export const RUNTIMES = ['auto', 'onnxruntime'] as const;
export type RuntimePreference = (typeof RUNTIMES)[number];

export interface RecommenderOptions {
  /**
   * URL of the model's `manifest.json` (see docs/artifacts.md); the files it names are resolved against it.
   * Self-hosted: nothing is fetched from anywhere else.
   */
  model: string | URL;
  /** Override single file URLs named by the manifest (e.g. a catalog served by your API). */
  files?: { encoder?: string | URL; items?: string | URL; catalog?: string | URL };
  /**
   * `'auto'` tries WebGPU on a real (non-fallback) adapter, then WASM. `'webgpu'` forces WebGPU, even on a
   * software adapter, and fails if it cannot run. `'wasm'` runs on the CPU.
   * @defaultValue `'auto'`
   */
  backend?: BackendPreference;
  /**
   * What runs the history encoder when it runs on the CPU. `'auto'`: localshelf's own WebAssembly SIMD encoder when
   * the model's LoRA-free graph carries its description (every model folder the training pipeline writes), so
   * onnxruntime-web is not started before the first recommendation (search's text encoder still starts it, later);
   * onnxruntime-web otherwise. `'onnxruntime'`: always onnxruntime-web (its WASM threads on a cross-origin isolated
   * page). WebGPU, when chosen, is always onnxruntime-web. `recommender.backend.runtime` says which runs.
   * @defaultValue `'auto'`
   */
  runtime?: RuntimePreference;
  /** Where onnxruntime-web's `.wasm` files are served from. @defaultValue the files bundled next to the worker */
  wasmPaths?: string;
  /** WASM threads when the page is cross-origin isolated (ignored otherwise: one thread). @defaultValue `min(4, hardwareConcurrency)` */
  threads?: number;
  /** IndexedDB database name: one history per name. @defaultValue `'localshelf'` */
  storageName?: string;
  /**
   * Where the history is kept. `'auto'`: IndexedDB, or memory when IndexedDB is missing or refuses to open (some
   * private modes and embedded webviews); `recommender.storage` says which and why. `'indexeddb'`: IndexedDB or
   * a `STORAGE` error from `createRecommender()`. `'memory'`: never written to the device.
   * @defaultValue `'auto'`
   */
  storage?: StoragePreference;
  /** Most events kept; the oldest are dropped first. @defaultValue `10000` */
  historyCap?: number;
  /** Called as files download and the engine starts; `status` only moves forward and ends with `'ready'`. */
  onProgress?: (progress: Progress) => void;
  /** Aborts start-up: the worker is terminated and the promise rejects with `ABORTED`. */
  signal?: AbortSignal;
  /** Start-up time limit in ms. @defaultValue `120000` */
  initTimeoutMs?: number;
  /** Time limit of every other call in ms. @defaultValue `30000` */
  callTimeoutMs?: number;
  /** Creates the worker; inject to host the worker file elsewhere. @defaultValue the bundled module worker */
  createWorker?: () => Worker;
  /**
   * Signed LoRA adapter updates (docs/update-channel.md): checked on a jittered schedule, verified against the
   * pinned root, swapped into the encoder without a reload. Off when absent: nothing is fetched.
   * @defaultValue `undefined` (off)
   */
  adapters?: AdapterOptions;
}

/** Where adapter updates come from and how often to look (see {@link RecommenderOptions.adapters}). */
export interface AdapterOptions {
  /**
   * Base URL of the channel: the folder that holds `timestamp.json`, `targets/`, `adapters/` (a `/` is appended
   * when missing). Requests to it carry no cookies, no referrer and nothing about the shopper.
   */
  url: string | URL;
  /**
   * The pinned `root.json` of the channel (its text, or the parsed object), shipped with the app: the trust
   * anchor every update is verified against. A newer root reached through the signed rotation chain replaces it
   * on the device; a newer pinned root (an app release) replaces an older stored one.
   */
  root: string | object;
  /** Time between checks, ms. @defaultValue `21600000` (6 h) */
  intervalMs?: number;
  /** Each interval is scaled by a random factor in `[1 - jitter, 1 + jitter]`. @defaultValue `0.2` */
  jitter?: number;
  /** First retry delay after a failed check, ms; doubles with each failure. @defaultValue `30000` */
  backoffBaseMs?: number;
  /** Longest retry delay, ms. @defaultValue `intervalMs` */
  backoffMaxMs?: number;
  /** Delay before the first check after start-up, ms (`0`: at once). @defaultValue `10000` */
  initialDelayMs?: number;
  /** Largest adapter file accepted, bytes. @defaultValue `33554432` (32 MiB) */
  maxAdapterBytes?: number;
}

/** {@link AdapterOptions} with defaults applied, the URL absolute and the root as JSON text. */
export interface ResolvedAdapterOptions {
  url: string;
  rootJson: string;
  intervalMs: number;
  jitter: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  initialDelayMs: number;
  maxAdapterBytes: number;
}

/** Options with defaults applied and URLs made absolute. */
export interface ResolvedOptions {
  modelUrl: string;
  files: { encoder?: string; items?: string; catalog?: string };
  backend: BackendPreference;
  runtime: RuntimePreference;
  wasmPaths?: string;
  threads?: number;
  storageName: string;
  storage: StoragePreference;
  historyCap: number;
  initTimeoutMs: number;
  callTimeoutMs: number;
  /** Absent: adapter updates are off. */
  adapters?: ResolvedAdapterOptions;
}

function positiveInt(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new LocalshelfError('INVALID_ARGUMENT', `${name} must be a positive integer; got ${describeValue(value)}`);
  }
  return value;
}

function absolute(url: string | URL, name: string, base: string): string {
  try {
    return new URL(String(url), base).href;
  } catch (cause) {
    throw new LocalshelfError('INVALID_ARGUMENT', `${name} is not a valid URL: ${describeValue(url)}`, { cause });
  }
}

function storagePreference(value: unknown): StoragePreference {
  if (value === undefined) return 'auto';
  if (!(STORAGE_PREFERENCES as readonly unknown[]).includes(value)) {
    throw new LocalshelfError('INVALID_ARGUMENT', `options.storage must be one of ${STORAGE_PREFERENCES.join(', ')}; got ${describeValue(value)}`);
  }
  return value as StoragePreference;
}

/** Applies defaults once and validates; throws `INVALID_ARGUMENT`. */
export function resolveOptions(options: RecommenderOptions, base: string): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new LocalshelfError('INVALID_ARGUMENT', 'createRecommender(options) needs an options object');
  }
  if (options.model === undefined) throw new LocalshelfError('INVALID_ARGUMENT', 'options.model (URL of manifest.json) is required');
  const backend = options.backend ?? 'auto';
  if (!(BACKENDS as readonly string[]).includes(backend)) {
    throw new LocalshelfError('INVALID_ARGUMENT', `options.backend must be one of ${BACKENDS.join(', ')}; got ${describeValue(backend)}`);
  }
  const runtime = options.runtime ?? 'auto';
  if (!(RUNTIMES as readonly string[]).includes(runtime)) {
    throw new LocalshelfError('INVALID_ARGUMENT', `options.runtime must be one of ${RUNTIMES.join(', ')}; got ${describeValue(runtime)}`);
  }
  const modelUrl = absolute(options.model, 'options.model', base);
  const files: ResolvedOptions['files'] = {};
  for (const key of ['encoder', 'items', 'catalog'] as const) {
    const url = options.files?.[key];
    if (url !== undefined) files[key] = absolute(url, `options.files.${key}`, base);
  }
  return {
    modelUrl,
    files,
    backend,
    runtime,
    wasmPaths: options.wasmPaths === undefined ? undefined : absolute(options.wasmPaths, 'options.wasmPaths', base),
    threads: options.threads === undefined ? undefined : positiveInt(options.threads, 'options.threads', 1),
    storageName: options.storageName ?? 'localshelf',
    storage: storagePreference(options.storage),
    historyCap: positiveInt(options.historyCap, 'options.historyCap', 10_000),
    initTimeoutMs: positiveInt(options.initTimeoutMs, 'options.initTimeoutMs', 120_000),
    callTimeoutMs: positiveInt(options.callTimeoutMs, 'options.callTimeoutMs', 30_000),
    ...(options.adapters === undefined ? {} : { adapters: resolveAdapterOptions(options.adapters, base) }),
  };
}

/** Validates `options.adapters` and applies its defaults; throws `INVALID_ARGUMENT`. */
export function resolveAdapterOptions(options: AdapterOptions, base: string): ResolvedAdapterOptions {
  if (typeof options !== 'object' || options === null) throw new LocalshelfError('INVALID_ARGUMENT', 'options.adapters must be an object');
  if (options.url === undefined) throw new LocalshelfError('INVALID_ARGUMENT', 'options.adapters.url (the channel base URL) is required');
  const href = absolute(options.url, 'options.adapters.url', base);
  const url = new URL(href);
  if (url.search || url.hash) throw new LocalshelfError('INVALID_ARGUMENT', 'options.adapters.url must not carry a query or a fragment');
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  const root = options.root;
  let rootJson: string;
  try {
    rootJson = typeof root === 'string' ? root : JSON.stringify(root);
    const parsed: unknown = JSON.parse(rootJson);
    if (typeof parsed !== 'object' || parsed === null || !('signed' in parsed)) throw new Error('not a signed metadata document');
  } catch (cause) {
    throw new LocalshelfError('INVALID_ARGUMENT', 'options.adapters.root must be the pinned root.json (text or object)', { cause });
  }
  const jitter = options.jitter ?? 0.2;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new LocalshelfError('INVALID_ARGUMENT', `options.adapters.jitter must be a number in [0, 1]; got ${describeValue(jitter)}`);
  }
  const initialDelayMs = options.initialDelayMs ?? 10_000;
  if (typeof initialDelayMs !== 'number' || !Number.isInteger(initialDelayMs) || initialDelayMs < 0) {
    throw new LocalshelfError('INVALID_ARGUMENT', `options.adapters.initialDelayMs must be a non-negative integer; got ${describeValue(initialDelayMs)}`);
  }
  const intervalMs = positiveInt(options.intervalMs, 'options.adapters.intervalMs', 6 * 3_600_000);
  return {
    url: url.href,
    rootJson,
    intervalMs,
    jitter,
    backoffBaseMs: positiveInt(options.backoffBaseMs, 'options.adapters.backoffBaseMs', 30_000),
    backoffMaxMs: positiveInt(options.backoffMaxMs, 'options.adapters.backoffMaxMs', intervalMs),
    initialDelayMs,
    maxAdapterBytes: positiveInt(options.maxAdapterBytes, 'options.adapters.maxAdapterBytes', 32 << 20),
  };
}
