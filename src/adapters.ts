/**
 * Adapter updates as the main thread sees them: the public `AdapterInfo`, the `adapterchange` and `adaptererror`
 * events the `Recommender` dispatches, and the link that receives the worker's reports and forwards the page's
 * visibility to the worker (workers do not see `document.visibilityState`).
 */
import { fromWireError, type LocalshelfError } from './errors';
import type { AdapterSyncWire, AdapterWire, AdapterWireEvent } from './protocol';
import type { BackendChangeEvent, StorageChangeEvent } from './engine-events';

/** The active LoRA adapter. */
export interface AdapterInfo {
  /** `adapterVersion` from the signed targets metadata. */
  readonly version: number;
  /** Path of the adapter file in the channel (`adapters/<sha256>.lsad`). */
  readonly target: string;
  /** SHA-256 (hex) of the adapter file. */
  readonly sha256: string;
  /** When this device installed it (downloaded and verified it, in any tab), ms since the epoch. */
  readonly activatedAt: number;
  /** `Date.now() - activatedAt` when this object was made. */
  readonly ageMs: number;
}

/** Result of `recommender.sync()`. */
export interface AdapterSyncResult {
  /** `'updated'`: the active adapter changed during this check; `'current'`: it did not. */
  readonly status: 'updated' | 'current';
  /** The adapter active after the check, `null` for none (the base model runs unchanged). */
  readonly adapter: AdapterInfo | null;
}

/** How a new adapter reached this tab: downloaded here, or installed by another tab and loaded from the device. */
export type AdapterSource = 'download' | 'peer';

/** Dispatched on the `Recommender` when another adapter becomes active (new calls use it; calls in flight finish on the old one). */
export class AdapterChangeEvent extends Event {
  readonly adapter: AdapterInfo;
  readonly previous: AdapterInfo | null;
  readonly source: AdapterSource;

  constructor(adapter: AdapterInfo, previous: AdapterInfo | null, source: AdapterSource) {
    super('adapterchange');
    this.adapter = adapter;
    this.previous = previous;
    this.source = source;
  }
}

/**
 * Dispatched on the `Recommender` when an adapter check fails (scheduled or `sync()`): `NETWORK`, `STORAGE`, or an
 * `ADAPTER_*` code naming the failed verification step. The active adapter stays as it was.
 * `ADAPTER_BASE_MISMATCH` usually means nothing has been published for this model yet.
 */
export class AdapterErrorEvent extends Event {
  readonly error: LocalshelfError;
  readonly code: LocalshelfError['code'];

  constructor(error: LocalshelfError) {
    super('adaptererror');
    this.error = error;
    this.code = error.code;
  }
}

/** Events of a `Recommender`, for typed `addEventListener`. */
export interface RecommenderEventMap {
  adapterchange: AdapterChangeEvent;
  adaptererror: AdapterErrorEvent;
  storagechange: StorageChangeEvent;
  backendchange: BackendChangeEvent;
}

/** Public view of a wire report. */
export function adapterInfo(wire: AdapterWire | null | undefined, now = Date.now()): AdapterInfo | null {
  if (!wire) return null;
  return { version: wire.version, target: wire.target, sha256: wire.sha256, activatedAt: wire.activatedAt, ageMs: Math.max(0, now - wire.activatedAt) };
}

/**
 * Keeps the newest adapter report (reports travel on two message ports, so they can arrive out of order; the
 * worker's revision counter orders them) and dispatches events once a target is attached.
 */
export class AdapterLink {
  #wire: AdapterWire | null;
  #target: EventTarget | undefined;
  #unwatch: (() => void) | undefined;

  constructor(initial: AdapterWire | null = null) {
    this.#wire = initial;
  }

  /** The active adapter, `null` for none. */
  get info(): AdapterInfo | null {
    return adapterInfo(this.#wire);
  }

  /** Takes a report (start-up info, a sync result) if it is newer than the one held. */
  update(wire: AdapterWire | null | undefined): void {
    if (wire && (!this.#wire || wire.revision > this.#wire.revision)) this.#wire = wire;
  }

  /** The callback the worker calls (through a comlink proxy). */
  readonly receive = (event: AdapterWireEvent): void => {
    if (event.type === 'change') {
      this.update(event.adapter);
      this.#target?.dispatchEvent(new AdapterChangeEvent(adapterInfo(event.adapter)!, adapterInfo(event.previous), event.source));
    } else {
      const error = fromWireError(event.error) as LocalshelfError;
      this.#target?.dispatchEvent(new AdapterErrorEvent(error));
    }
  };

  /** Where events go from now on. */
  attach(target: EventTarget): void {
    this.#target = target;
  }

  /** Public view of a sync result (and takes its report). */
  syncResult(result: AdapterSyncWire): AdapterSyncResult {
    this.update(result.adapter);
    return { status: result.status, adapter: adapterInfo(result.adapter) };
  }

  /** Forwards `document.visibilitychange` to the worker: hidden pauses the checks, visible resumes them. */
  watchVisibility(setVisibility: (visible: boolean) => Promise<void> | void): void {
    if (typeof document === 'undefined' || this.#unwatch) return;
    const onChange = (): void => void Promise.resolve(setVisibility(document.visibilityState !== 'hidden')).catch(() => undefined);
    document.addEventListener('visibilitychange', onChange);
    this.#unwatch = () => document.removeEventListener('visibilitychange', onChange);
  }

  /** Stops forwarding visibility and dispatching. Idempotent. */
  detach(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#target = undefined;
  }
}

/** Whether the page is hidden now (checks then start paused). */
export function pageHidden(): boolean {
  return typeof document !== 'undefined' && document.visibilityState === 'hidden';
}
