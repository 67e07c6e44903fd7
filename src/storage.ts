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
