/**
 * The update channel's state on the device (IndexedDB via idb): per channel and base model, the `ChannelState`
 * (trusted root, rollback counters, last timestamp, active target) and the verified bytes of the active adapter.
 * A database of its own (`<storageName>-adapters`), so the history schema never changes for it.
 *
 * Writes that change what is trusted use `durability: 'strict'` and resolve only once the transaction has
 * completed: a swap happens after the new state is on disk, never before.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { LocalshelfError } from '../../src/errors';
import type { ChannelState } from './update';

/** The verified file of the active adapter, as cached on the device. */
export interface StoredAdapterFile {
  readonly sha256: string;
  readonly bytes: Uint8Array;
  /** When this device installed it, ms since the epoch. */
  readonly installedAt: number;
}

/** What {@link AdapterStateStore.read} returns for one channel key. */
export interface StoredChannel {
  readonly state?: ChannelState;
  readonly file?: StoredAdapterFile;
}

interface AdapterSchema extends DBSchema {
  channels: { key: string; value: ChannelState };
  files: { key: string; value: StoredAdapterFile };
}

const VERSION = 1;

function storageError(what: string, cause: unknown): LocalshelfError {
  if ((cause as DOMException)?.name === 'QuotaExceededError') {
    return new LocalshelfError('QUOTA_EXCEEDED', `${what}: the device storage quota is exhausted; nothing was written`, { cause });
  }
  return new LocalshelfError('STORAGE', `${what}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
}

/** Channel state and cached adapter files, keyed by `<channel URL>#<base model sha256>`. */
export class AdapterStateStore {
  readonly #db: IDBPDatabase<AdapterSchema>;

  private constructor(db: IDBPDatabase<AdapterSchema>) {
    this.#db = db;
  }

  /** Opens (or creates) the database `name`. @throws LocalshelfError `STORAGE` */
  static async open(name: string): Promise<AdapterStateStore> {
    try {
      const db = await openDB<AdapterSchema>(name, VERSION, {
        upgrade(database) {
          database.createObjectStore('channels');
          database.createObjectStore('files');
        },
      });
      return new AdapterStateStore(db);
    } catch (cause) {
      throw storageError(`could not open the adapter database "${name}"`, cause);
    }
  }

  /** The stored state and cached file of `key`, read in one transaction (a consistent pair). */
  async read(key: string): Promise<StoredChannel> {
    try {
      const tx = this.#db.transaction(['channels', 'files'], 'readonly');
      const [state, file] = await Promise.all([tx.objectStore('channels').get(key), tx.objectStore('files').get(key)]);
      await tx.done;
      return { ...(state ? { state } : {}), ...(file ? { file } : {}) };
    } catch (cause) {
      throw storageError('could not read the adapter state', cause);
    }
  }

  /** Persists a state that advanced without a new adapter (newer timestamp or root). */
  async saveState(key: string, state: ChannelState): Promise<void> {
    try {
      const tx = this.#db.transaction('channels', 'readwrite', { durability: 'strict' });
      await tx.store.put(state, key);
      await tx.done;
    } catch (cause) {
      throw storageError('could not store the adapter state', cause);
    }
  }

  /**
   * Installs a verified adapter: the new state and the file in ONE transaction (both or neither), strict
   * durability, resolved after `complete`. Entries of the same channel for other base models are dropped.
   */
  async install(key: string, state: ChannelState, file: StoredAdapterFile): Promise<void> {
    try {
      const tx = this.#db.transaction(['channels', 'files'], 'readwrite', { durability: 'strict' });
      const prefix = key.slice(0, key.lastIndexOf('#') + 1);
      const others = prefix ? IDBKeyRange.bound(prefix, `${prefix}\uffff`) : undefined;
      const writes: Promise<unknown>[] = [];
      if (others) {
        for (const name of ['channels', 'files'] as const) {
          for (const k of await tx.objectStore(name).getAllKeys(others)) if (k !== key) writes.push(tx.objectStore(name).delete(k));
        }
      }
      writes.push(tx.objectStore('channels').put(state, key), tx.objectStore('files').put(file, key));
      await Promise.all(writes);
      await tx.done;
    } catch (cause) {
      throw storageError('could not store the adapter', cause);
    }
  }

  close(): void {
    this.#db.close();
  }
}
