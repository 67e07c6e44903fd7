/**
 * The history the engine writes to: IndexedDB when it can be used, memory otherwise, and a move from the first to
 * the second when the database is taken away while the engine runs. Records that are not valid events (damaged,
 * or written by something else) are skipped and counted, never deleted.
 */
import { LocalshelfError } from '../../src/errors';
import { validateEvent, type StoredEvent } from '../../src/events';
import type { StorageInfo, StorageKind, StoragePreference } from '../../src/storage';
import { MemoryHistory } from './memory';
import { HistoryStore } from './store';

/** What both stores do. `append` is all or nothing and gives each event its `seq`. */
export interface History {
  readonly kind: StorageKind;
  append(events: readonly StoredEvent[]): Promise<{ stored: StoredEvent[] }>;
  all(): Promise<StoredEvent[]>;
  count(): Promise<number>;
  clear(): Promise<void>;
  close(): void;
}

export interface OpenHistoryOptions {
  name: string;
  cap: number;
  preference: StoragePreference;
  /** Called when the history moves to memory after start-up. */
  onChange?: (info: StorageInfo) => void;
}

export interface OpenedHistory {
  history: History;
  info: StorageInfo;
  /** The valid stored events, oldest first. */
  events: StoredEvent[];
}

/** Valid events (with their `seq`) and how many records were not. */
function sift(records: readonly unknown[]): { events: StoredEvent[]; skipped: number } {
  const events: StoredEvent[] = [];
  let skipped = 0;
  for (const r of records) {
    try {
      const seq = (r as { seq?: unknown }).seq;
      const e = validateEvent(r, 0);
      if (typeof (r as { timestamp?: unknown }).timestamp !== 'number') throw new Error('no timestamp');
      events.push(typeof seq === 'number' ? { ...e, seq } : e);
    } catch {
      skipped++;
    }
  }
  return { events, skipped };
}

/** Forwards to the current store; moves to memory, once, when IndexedDB is taken away. */
class SwitchingHistory implements History {
  #current: History;
  #skipped = 0;
  #reason: string | undefined;
  readonly #cap: number;
  readonly #onChange: ((info: StorageInfo) => void) | undefined;

  constructor(current: History, cap: number, onChange?: (info: StorageInfo) => void, reason?: string) {
    this.#current = current;
    this.#reason = reason;
    this.#cap = cap;
    this.#onChange = onChange;
  }

  get kind(): StorageKind {
    return this.#current.kind;
  }

  get info(): StorageInfo {
    return { kind: this.kind, ...(this.#reason ? { reason: this.#reason } : {}), skipped: this.#skipped };
  }

  set skipped(n: number) {
    this.#skipped = n;
  }

  lost(reason: string): void {
    if (this.#current.kind === 'memory') return;
    const old = this.#current;
    this.#current = new MemoryHistory(this.#cap);
    this.#reason = reason;
    old.close(); // at once: a tab waiting to upgrade or delete the database is no longer blocked
    this.#onChange?.(this.info);
  }

  /** Runs `op` on the current store; if the store was swapped while it ran and it failed, once more on the new one. */
  async #run<T>(op: (h: History) => Promise<T>): Promise<T> {
    const target = this.#current;
    try {
      return await op(target);
    } catch (error) {
      if (target !== this.#current) return op(this.#current);
      throw error;
    }
  }

  append(events: readonly StoredEvent[]): Promise<{ stored: StoredEvent[] }> {
    return this.#run((h) => h.append(events));
  }

  async all(): Promise<StoredEvent[]> {
    return sift(await this.#run((h) => h.all())).events;
  }

  count(): Promise<number> {
    return this.#run((h) => h.count());
  }

  clear(): Promise<void> {
    return this.#run((h) => h.clear());
  }

  close(): void {
    this.#current.close();
  }
}

/**
 * Opens the history as `preference` says. With `'auto'`, an IndexedDB that is missing, refuses to open, or holds
 * something else gives an in-memory history and the reason.
 * @throws LocalshelfError `STORAGE` with `'indexeddb'` when IndexedDB cannot be used
 */
export async function openHistory(o: OpenHistoryOptions): Promise<OpenedHistory> {
  if (o.preference === 'memory') {
    const history = new SwitchingHistory(new MemoryHistory(o.cap), o.cap, o.onChange);
    return { history, info: history.info, events: [] };
  }
  let switching: SwitchingHistory | undefined;
  let lostEarly: string | undefined;
  let store: HistoryStore;
  try {
    store = await HistoryStore.open(o.name, o.cap, (reason) => (switching ? switching.lost(reason) : (lostEarly = reason)));
  } catch (error) {
    if (o.preference === 'indexeddb') throw error;
    const reason = error instanceof LocalshelfError ? error.message : String(error);
    const history = new SwitchingHistory(new MemoryHistory(o.cap), o.cap, o.onChange, reason);
    return { history, info: history.info, events: [] };
  }
  switching = new SwitchingHistory(store, o.cap, o.onChange);
  let records: StoredEvent[];
  try {
    records = await store.all();
  } catch (error) {
    if (o.preference === 'indexeddb') throw error;
    switching.lost(`the stored history could not be read: ${(error as Error).message}`);
    records = [];
  }
  const { events, skipped } = sift(records);
  switching.skipped = skipped;
  if (lostEarly) switching.lost(lostEarly);
  return { history: switching, info: switching.info, events };
}
