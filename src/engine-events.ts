/**
 * What the worker reports after start-up, as the main thread sees it: the history moved to memory
 * (`storagechange`), the encoder moved from WebGPU to WASM after the GPU device was lost (`backendchange`).
 * Reports may arrive before the `Recommender` exists; the link keeps the latest of each.
 */
import type { BackendInfo, EngineEvent } from './protocol';
import type { StorageInfo } from './storage';

/**
 * Dispatched on the `Recommender` when the history moves from IndexedDB to memory while it runs: the database was
 * deleted or evicted, or a newer localshelf in another tab upgraded it (this tab closes its connection at once so
 * the other is not blocked). Recommendations go on from the events in memory; later events are not persisted.
 */
export class StorageChangeEvent extends Event {
  readonly storage: StorageInfo;

  constructor(storage: StorageInfo) {
    super('storagechange');
    this.storage = storage;
  }
}

/**
 * Dispatched on the `Recommender` when the encoder moves to another backend while it runs: the WebGPU device was
 * lost (driver reset, GPU removed, the browser reclaimed it), so it now runs on WASM. Calls in flight finish on
 * the new backend; `recoveryMs` is the time from the loss to the WASM session being ready.
 */
export class BackendChangeEvent extends Event {
  readonly backend: BackendInfo;
  readonly previous: BackendInfo;
  readonly recoveryMs: number;

  constructor(backend: BackendInfo, previous: BackendInfo, recoveryMs: number) {
    super('backendchange');
    this.backend = backend;
    this.previous = previous;
    this.recoveryMs = recoveryMs;
  }
}

export class EngineEventLink {
  storage: StorageInfo | undefined;
  backend: BackendInfo | undefined;
  #target: EventTarget | undefined;

  readonly receive = (event: EngineEvent): void => {
    if (event.type === 'storage') {
      this.storage = event.storage;
      this.#target?.dispatchEvent(new StorageChangeEvent(event.storage));
    } else {
      const previous = this.backend ?? event.previous;
      this.backend = event.backend;
      this.#target?.dispatchEvent(new BackendChangeEvent(event.backend, previous, event.recoveryMs));
    }
  };

  attach(target: EventTarget, atReady: { storage: StorageInfo; backend: BackendInfo }): void {
    this.storage ??= atReady.storage;
    this.backend ??= atReady.backend;
    this.#target = target;
  }
}
