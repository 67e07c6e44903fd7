/**
 * Options of `createRecommender()`, their defaults, and their one-time resolution. Nothing is read from
 * globals: every instance carries its own configuration.
 */
import { LocalshelfError } from './errors';
import type { Progress } from './progress';

/** Backends the engine can run the encoder on. */
export const BACKENDS = ['auto', 'webgpu', 'wasm'] as const;
export type BackendPreference = (typeof BACKENDS)[number];

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
  /** Where onnxruntime-web's `.wasm` files are served from. @defaultValue the files bundled next to the worker */
  wasmPaths?: string;
  /** WASM threads when the page is cross-origin isolated (ignored otherwise: one thread). @defaultValue `min(4, hardwareConcurrency)` */
  threads?: number;
  /** IndexedDB database name: one history per name. @defaultValue `'localshelf'` */
  storageName?: string;
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
}

/** Options with defaults applied and URLs made absolute. */
export interface ResolvedOptions {
  modelUrl: string;
  files: { encoder?: string; items?: string; catalog?: string };
  backend: BackendPreference;
  wasmPaths?: string;
  threads?: number;
  storageName: string;
  historyCap: number;
  initTimeoutMs: number;
  callTimeoutMs: number;
}

function positiveInt(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new LocalshelfError('INVALID_ARGUMENT', `${name} must be a positive integer; got ${String(value)}`);
  }
  return value;
}

function absolute(url: string | URL, name: string, base: string): string {
  try {
    return new URL(String(url), base).href;
  } catch (cause) {
    throw new LocalshelfError('INVALID_ARGUMENT', `${name} is not a valid URL: ${String(url)}`, { cause });
  }
}

/** Applies defaults once and validates; throws `INVALID_ARGUMENT`. */
export function resolveOptions(options: RecommenderOptions, base: string): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new LocalshelfError('INVALID_ARGUMENT', 'createRecommender(options) needs an options object');
  }
  if (options.model === undefined) throw new LocalshelfError('INVALID_ARGUMENT', 'options.model (URL of manifest.json) is required');
  const backend = options.backend ?? 'auto';
  if (!(BACKENDS as readonly string[]).includes(backend)) {
    throw new LocalshelfError('INVALID_ARGUMENT', `options.backend must be one of ${BACKENDS.join(', ')}; got ${String(backend)}`);
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
    wasmPaths: options.wasmPaths === undefined ? undefined : absolute(options.wasmPaths, 'options.wasmPaths', base),
    threads: options.threads === undefined ? undefined : positiveInt(options.threads, 'options.threads', 1),
    storageName: options.storageName ?? 'localshelf',
    historyCap: positiveInt(options.historyCap, 'options.historyCap', 10_000),
    initTimeoutMs: positiveInt(options.initTimeoutMs, 'options.initTimeoutMs', 120_000),
    callTimeoutMs: positiveInt(options.callTimeoutMs, 'options.callTimeoutMs', 30_000),
  };
}
