/**
 * Typed errors. Every error localshelf raises is a {@link LocalshelfError} with a stable `code`; the class,
 * the code and the `cause` chain survive the worker boundary (see {@link toWireError} / {@link fromWireError}).
 */

/** Every error code localshelf raises. One list drives both the type and runtime checks. */
export const ERROR_CODES = [
  /** An option or argument is invalid (bad `k`, unknown backend, malformed filter...). */
  'INVALID_ARGUMENT',
  /** A tracked event failed validation; nothing was stored. */
  'INVALID_EVENT',
  /** A model, item matrix or catalog file could not be fetched (404, network error, wrong content type). */
  'MODEL_FETCH',
  /** A model, item matrix or catalog file was fetched but is corrupt or inconsistent with the manifest. */
  'MODEL_CORRUPT',
  /** No requested backend could run the model (WebGPU unavailable when forced, WASM failed to start). */
  'BACKEND_UNAVAILABLE',
  /** Inference failed inside onnxruntime. */
  'INFERENCE',
  /** IndexedDB could not be opened or written (private mode, quota exceeded, blocked upgrade). */
  'STORAGE',
  /** The device storage quota is exhausted; the write was rolled back. */
  'QUOTA_EXCEEDED',
  /** The worker could not be started (script failed to load or threw during start-up). */
  'WORKER_FAILED',
  /** The worker died (terminated or crashed) while the call was pending. */
  'WORKER_DIED',
  /** The call did not complete within its timeout. */
  'TIMEOUT',
  /** The call was aborted through its `AbortSignal`. */
  'ABORTED',
  /** The recommender was disposed; no more calls are accepted. */
  'DISPOSED',
  /** The recommender is not ready (should not happen through the public API). */
  'NOT_READY',
  /** Search query rejected (too long, not a string). */
  'INVALID_QUERY',
  /** `related()` was asked about an item the catalog does not have. */
  'UNKNOWN_ITEM',
  /** Network failure in the adapter update channel. */
  'NETWORK',
  /** Adapter update rejected: signatures below threshold, unknown or duplicate keys. */
  'ADAPTER_SIGNATURE',
  /** Adapter update rejected: version lower than or equal to one already seen. */
  'ADAPTER_ROLLBACK',
  /** Adapter update rejected: metadata expired (freeze attack). */
  'ADAPTER_EXPIRED',
  /** Adapter update rejected: file hash does not match signed metadata. */
  'ADAPTER_HASH_MISMATCH',
  /** Adapter update rejected: stream longer than the signed length (endless data). */
  'ADAPTER_TOO_LARGE',
  /** Adapter update rejected: adapter bound to a different base model (mix-and-match). */
  'ADAPTER_BASE_MISMATCH',
  /** Adapter file is malformed. */
  'ADAPTER_MALFORMED',
  /** An unexpected internal error (a bug): please report it. */
  'INTERNAL',
] as const;

/** A code carried by every {@link LocalshelfError}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

const CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);

/** The one error class localshelf throws. Check `code`, not the message. */
export class LocalshelfError extends Error {
  override readonly name = 'LocalshelfError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/**
 * True for a {@link LocalshelfError}, also one created in another realm (worker, iframe), where `instanceof`
 * fails: it checks `name` and `code` as well.
 */
export function isLocalshelfError(value: unknown, code?: ErrorCode): value is LocalshelfError {
  if (value instanceof LocalshelfError) return code === undefined || value.code === code;
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { name?: unknown; code?: unknown };
  return v.name === 'LocalshelfError' && typeof v.code === 'string' && CODE_SET.has(v.code) && (code === undefined || v.code === code);
}

/** Structured-clone-safe shape of an error crossing the worker boundary. */
export interface WireError {
  name: string;
  message: string;
  code?: ErrorCode;
  stack?: string;
  cause?: WireError;
}

/** Flattens an error (and its `cause` chain, up to 8 deep) into plain data for `postMessage`. */
export function toWireError(error: unknown, depth = 0): WireError {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const e = error as Error & { code?: unknown };
    const wire: WireError = { name: String(e.name ?? 'Error'), message: String(e.message) };
    if (typeof e.stack === 'string') wire.stack = e.stack;
    if (typeof e.code === 'string' && CODE_SET.has(e.code)) wire.code = e.code as ErrorCode;
    if (e.cause !== undefined && depth < 8) wire.cause = toWireError(e.cause, depth + 1);
    return wire;
  }
  return { name: 'Error', message: String(error) };
}

/** Rebuilds the error class from {@link WireError}: a `LocalshelfError` when it carries a code. */
export function fromWireError(wire: WireError): Error {
  const cause = wire.cause ? fromWireError(wire.cause) : undefined;
  const error =
    wire.code !== undefined
      ? new LocalshelfError(wire.code, wire.message, { cause })
      : Object.assign(new Error(wire.message, cause === undefined ? undefined : { cause }), { name: wire.name });
  if (wire.stack) error.stack = wire.stack;
  return error;
}

/** Wraps anything thrown into a `LocalshelfError`, keeping an existing one as is. */
export function asLocalshelfError(error: unknown, code: ErrorCode, message: string): LocalshelfError {
  if (isLocalshelfError(error)) return error;
  return new LocalshelfError(code, `${message}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/**
 * `value` as text for an error message, whatever it is: `String()` throws on an object without a prototype or
 * with a throwing `toString`, which would turn a typed error into a TypeError.
 */
export function describeValue(value: unknown): string {
  try {
    if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
    if (typeof value === 'object' && value !== null) {
      const text = JSON.stringify(value);
      return text === undefined ? Object.prototype.toString.call(value) : text.length > 80 ? `${text.slice(0, 80)}…` : text;
    }
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
