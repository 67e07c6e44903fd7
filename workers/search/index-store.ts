/**
 * The persisted lexical index, in its own IndexedDB database (`<storageName>-search`), beside the history
 * database and independent of its schema. One record, keyed by the catalog's sha256 and the index version: a
 * new catalog (or new index options) misses and the index is rebuilt, and the old record is deleted. The record
 * holds the index as JSON parts (`LexicalIndex.serialize`), never one string the worker must parse in one go.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

interface SearchSchema extends DBSchema {
  lexical: { key: string; value: { key: string; parts: string[]; docs: number; savedAt: number } };
}

const VERSION = 1;

export class IndexStore {
  readonly #db: IDBPDatabase<SearchSchema>;

  private constructor(db: IDBPDatabase<SearchSchema>) {
    this.#db = db;
  }

  /** Opens the database; resolves `undefined` where IndexedDB is unavailable (the index then lives in memory). */
  static async open(name: string): Promise<IndexStore | undefined> {
    if (typeof indexedDB === 'undefined') return undefined;
    try {
      const db = await openDB<SearchSchema>(name, VERSION, {
        upgrade(database) {
          database.createObjectStore('lexical', { keyPath: 'key' });
        },
      });
      return new IndexStore(db);
    } catch {
      return undefined;
    }
  }

  /** The serialized index's parts saved under `key`, if any (a record of another form reads as none). */
  async load(key: string): Promise<string[] | undefined> {
    try {
      const parts = (await this.#db.get('lexical', key))?.parts;
      return Array.isArray(parts) && parts.every((p) => typeof p === 'string') ? parts : undefined;
    } catch {
      return undefined;
    }
  }

  /** Saves `parts` under `key` and deletes every other record. Storage errors are swallowed: it is a cache. */
  async save(key: string, parts: string[], docs: number): Promise<boolean> {
    try {
      const tx = this.#db.transaction('lexical', 'readwrite');
      await tx.store.clear();
      await tx.store.put({ key, parts, docs, savedAt: Date.now() });
      await tx.done;
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.#db.close();
  }
}
