/**
 * The shopper's history in IndexedDB (idb, typed with `DBSchema`): one store of events keyed by an
 * auto-incremented sequence number, written in batches, capped (oldest dropped first in the same transaction).
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { LocalshelfError } from '../../src/errors';
import type { StoredEvent } from '../../src/events';
import type { History } from './history';

interface HistorySchema extends DBSchema {
  events: { key: number; value: StoredEvent };
  meta: { key: string; value: unknown };
}

/** Schema version of the history database. A newer localshelf that changes the schema raises it. */
export const HISTORY_DB_VERSION = 1;

export function storageError(what: string, cause: unknown): LocalshelfError {
  const name = (cause as DOMException)?.name;
  if (name === 'QuotaExceededError') {
    return new LocalshelfError('QUOTA_EXCEEDED', `${what}: the device storage quota is exhausted; nothing was written`, { cause });
  }
  return new LocalshelfError('STORAGE', `${what}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
}

export class HistoryStore implements History {
  readonly kind = 'indexeddb' as const;
  readonly #db: IDBPDatabase<HistorySchema>;
  readonly #cap: number;

  private constructor(db: IDBPDatabase<HistorySchema>, cap: number) {
    this.#db = db;
    this.#cap = cap;
  }

  /**
   * Opens (or creates) the database `name`. `onLost` is called once if the connection is taken away later: another
   * tab asks for a newer version or deletes the database (this connection must then be closed, or that tab waits),
   * or the browser closes it (storage evicted or cleared).
   * @throws LocalshelfError `STORAGE` (also for a database of a newer schema, or one that is not a history)
   */
  static async open(name: string, cap: number, onLost: (reason: string) => void = () => undefined): Promise<HistoryStore> {
    if (typeof indexedDB === 'undefined') throw new LocalshelfError('STORAGE', 'IndexedDB is not available in this browser or context');
    let db: IDBPDatabase<HistorySchema>;
    try {
      db = await openDB<HistorySchema>(name, HISTORY_DB_VERSION, {
        upgrade(database) {
          database.createObjectStore('events', { keyPath: 'seq', autoIncrement: true });
          database.createObjectStore('meta');
        },
        blocked() {
          /* an older tab holds the database open; it is asked to close (versionchange) and open() waits */
        },
        blocking() {
          onLost('another tab opened a newer version of the history database, or deleted it');
        },
        terminated() {
          onLost('the browser closed the history database (site data cleared or storage evicted)');
        },
      });
    } catch (cause) {
      const why = (cause as DOMException)?.name === 'VersionError' ? ' (it was written by a newer version of localshelf)' : '';
      throw storageError(`could not open the history database "${name}"${why}`, cause);
    }
    if (!db.objectStoreNames.contains('events') || !db.objectStoreNames.contains('meta')) {
      db.close();
      throw new LocalshelfError('STORAGE', `the IndexedDB database "${name}" exists but is not a localshelf history (no events store)`);
    }
    return new HistoryStore(db, cap);
  }

  /**
   * Appends validated events in one transaction and trims to the cap. Either all are written or none.
   * Returns the events with their `seq`.
   *
   * The cap is kept by sequence number, without counting the store (a count walks every key): the events kept are
   * those whose `seq` is among the last `cap` numbers given out, one range delete below that. Sequence numbers
   * grow by one per stored event, so that is exactly the newest `cap` events; where a failed write left a gap,
   * fewer are kept, never more.
   */
  async append(events: readonly StoredEvent[]): Promise<{ stored: StoredEvent[] }> {
    try {
      const tx = this.#db.transaction('events', 'readwrite');
      const copies = events.map((event) => {
        const copy = { ...event };
        delete copy.seq;
        return copy;
      });
      const seqs = await Promise.all(copies.map((copy) => tx.store.add(copy)));
      const stored = copies.map((copy, i) => ({ ...copy, seq: seqs[i] }) as StoredEvent);
      const newest = seqs.at(-1) ?? 0; // keys are given out in increasing order
      if (newest > this.#cap) await tx.store.delete(IDBKeyRange.upperBound(newest - this.#cap));
      await tx.done;
      return { stored };
    } catch (cause) {
      throw storageError('could not store events', cause);
    }
  }

  /** Every event, oldest first. */
  async all(): Promise<StoredEvent[]> {
    try {
      return await this.#db.getAll('events');
    } catch (cause) {
      throw storageError('could not read the history', cause);
    }
  }

  /** The newest `n` events, oldest first. */
  async latest(n: number): Promise<StoredEvent[]> {
    try {
      const out: StoredEvent[] = [];
      let cursor = await this.#db.transaction('events').store.openCursor(null, 'prev');
      while (cursor && out.length < n) {
        out.push(cursor.value);
        cursor = await cursor.continue();
      }
      return out.reverse();
    } catch (cause) {
      throw storageError('could not read the history', cause);
    }
  }

  async count(): Promise<number> {
    try {
      return await this.#db.count('events');
    } catch (cause) {
      throw storageError('could not count the history', cause);
    }
  }

  async clear(): Promise<void> {
    try {
      await this.#db.clear('events');
    } catch (cause) {
      throw storageError('could not clear the history', cause);
    }
  }

  close(): void {
    this.#db.close();
  }
}
