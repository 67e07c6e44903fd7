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

type Database = IDBPDatabase<CatalogSchema>;

function openDatabase(name: string): Promise<Database | undefined> {
  return openDB<CatalogSchema>(name, VERSION, {
    upgrade(database) {
      database.createObjectStore('added', { keyPath: ['model', 'seq'] });
    },
  }).catch(() => undefined);
}

export class AddedItemStore {
  #db: Database | undefined;
  /** Set while the database does not exist yet: the first `save` creates it (a first visit creates none). */
  #create: (() => Promise<Database | undefined>) | undefined;
  #creating: Promise<Database | undefined> | undefined;
  readonly #model: string;
  #next = 0;

  private constructor(db: Database | undefined, model: string, create?: () => Promise<Database | undefined>) {
    this.#db = db;
    this.#model = model;
    this.#create = create;
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
   * Starts opening the database now, so that it overlaps the model download; `store(model)` gives the store once
   * the model is known, `abandon()` closes it when start-up fails. A database that does not exist yet (no product
   * was ever added: `indexedDB.databases()` does not list it) is not created here: a first visit's start-up does
   * not wait for it, and the first `save` creates it.
   */
  static opening(name: string): { store(model: string): Promise<AddedItemStore>; abandon(): void } {
    const exists: Promise<boolean> =
      typeof indexedDB === 'undefined'
        ? Promise.resolve(false)
        : typeof indexedDB.databases === 'function'
          ? indexedDB.databases().then((list) => list.some((d) => d.name === name), () => true)
          : Promise.resolve(true);
    const db: Promise<Database | 'later' | undefined> =
      typeof indexedDB === 'undefined' ? Promise.resolve(undefined) : exists.then<Database | 'later' | undefined>((yes) => (yes ? openDatabase(name) : 'later'));
    return {
      store: async (model) => {
        const opened = await db;
        return opened === 'later' ? new AddedItemStore(undefined, model, () => openDatabase(name)) : new AddedItemStore(opened, model);
      },
      abandon: () => void db.then((d) => d !== 'later' && d?.close()),
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
    if (items.length === 0) return;
    // Keys taken before any await, so concurrent saves never share one (a failed save leaves a gap: harmless).
    let seq = this.#next;
    this.#next += items.length;
    if (!this.#db && this.#create) this.#db = await (this.#creating ??= this.#create()); // (created once)
    if (!this.#db) return;
    try {
      const tx = this.#db.transaction('added', 'readwrite', { durability: 'strict' });
      for (const it of items) void tx.store.put({ model: this.#model, seq: seq++, entry: it.entry, q: it.q, scale: it.scale });
      await tx.done;
    } catch (cause) {
      if (cause instanceof LocalshelfError) throw cause;
      throw storageError('could not store the added products', cause);
    }
  }

  close(): void {
    this.#db?.close();
  }
}
