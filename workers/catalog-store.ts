/**
 * Products added with `catalog.add()`, kept on the device so they are still there after a reload: their catalog
 * entries and int8 rows, in their own IndexedDB database (`<storageName>-catalog`), keyed by the model they were
 * embedded for (a new model starts without them: its text tower may differ). Written before the products are
 * used, so an add that could not be stored adds nothing.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { LocalshelfError } from '../src/errors';
import type { AddedItem } from './catalog-view';
import { storageError } from './history/store';

interface CatalogSchema extends DBSchema {
  added: { key: [string, number]; value: { model: string; seq: number; entry: AddedItem['entry']; q: Int8Array; scale: number } };
}

const VERSION = 1;

export class AddedItemStore {
  readonly #db: IDBPDatabase<CatalogSchema> | undefined;
  readonly #model: string;
  #next = 0;

  private constructor(db: IDBPDatabase<CatalogSchema> | undefined, model: string) {
    this.#db = db;
    this.#model = model;
  }

  /**
   * Opens the store for one model (`model`: a key naming the base files, e.g. their hashes). Where IndexedDB is
   * unavailable or will not open (private modes, a blocked upgrade) the products live for the session only, as
   * before this store existed: start-up never fails for it.
   */
  static async open(name: string, model: string): Promise<AddedItemStore> {
    return AddedItemStore.opening(name).store(model);
  }

  /**
   * Starts opening the database now (a first visit creates it: tens of ms that can overlap the model download);
   * `store(model)` gives the store once the model is known, `abandon()` closes it when start-up fails.
   */
  static opening(name: string): { store(model: string): Promise<AddedItemStore>; abandon(): void } {
    const db: Promise<IDBPDatabase<CatalogSchema> | undefined> =
      typeof indexedDB === 'undefined'
        ? Promise.resolve(undefined)
        : openDB<CatalogSchema>(name, VERSION, {
            upgrade(database) {
              database.createObjectStore('added', { keyPath: ['model', 'seq'] });
            },
          }).catch(() => undefined);
    return {
      store: async (model) => new AddedItemStore(await db, model),
      abandon: () => void db.then((d) => d?.close()),
    };
  }

  /** The stored products of this model, in the order they were added ([] when they cannot be read). */
  async load(): Promise<AddedItem[]> {
    if (!this.#db) return [];
    try {
      const records = await this.#db.getAll('added', IDBKeyRange.bound([this.#model, 0], [this.#model, Number.MAX_SAFE_INTEGER]));
      this.#next = records.length ? records.at(-1)!.seq + 1 : 0;
      return records.map((r) => ({ entry: r.entry, q: r.q, scale: r.scale }));
    } catch {
      return [];
    }
  }

  /** Stores `items` in one transaction (all or none). @throws LocalshelfError `STORAGE`, `QUOTA_EXCEEDED` */
  async save(items: readonly AddedItem[]): Promise<void> {
    if (!this.#db || items.length === 0) return;
    try {
      const tx = this.#db.transaction('added', 'readwrite', { durability: 'strict' });
      let seq = this.#next;
      for (const it of items) void tx.store.put({ model: this.#model, seq: seq++, entry: it.entry, q: it.q, scale: it.scale });
      await tx.done;
      this.#next = seq;
    } catch (cause) {
      if (cause instanceof LocalshelfError) throw cause;
      throw storageError('could not store the added products', cause);
    }
  }

  close(): void {
    this.#db?.close();
  }
}
