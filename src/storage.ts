/**
 * Where the shopper's history lives, as the main thread sees it: IndexedDB, or memory when IndexedDB is missing,
 * refuses to open (private modes, some embedded webviews, a database written by a newer localshelf), or is taken
 * away while the recommender runs (deleted, evicted, upgraded by a newer version in another tab).
 */

/** Where the history is kept. `'memory'` lasts until the page goes: nothing is written to the device. */
export type StorageKind = 'indexeddb' | 'memory';

/**
 * `'auto'`: IndexedDB, else memory (the reason is in {@link StorageInfo}); `'indexeddb'`: IndexedDB or a `STORAGE`
 * error; `'memory'`: never touch IndexedDB.
 */
export const STORAGE_PREFERENCES = ['auto', 'indexeddb', 'memory'] as const;
export type StoragePreference = (typeof STORAGE_PREFERENCES)[number];

export interface StorageInfo {
  readonly kind: StorageKind;
  /** Why the history is in memory (absent on IndexedDB, and when `storage: 'memory'` was asked for). */
  readonly reason?: string;
  /** Stored records skipped at start-up because they were not valid events (a damaged or foreign record). */
  readonly skipped: number;
}

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

/** Holds the latest storage report from the worker (some may come before the `Recommender` exists) and dispatches changes. */
export class StorageLink {
  info: StorageInfo | undefined;
  #target: EventTarget | undefined;

  readonly receive = (info: StorageInfo): void => {
    this.info = info;
    this.#target?.dispatchEvent(new StorageChangeEvent(info));
  };

  attach(target: EventTarget, atReady: StorageInfo): void {
    this.info ??= atReady;
    this.#target = target;
  }
}
