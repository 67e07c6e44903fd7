/**
 * The history in memory, with the same contract as the IndexedDB store (sequence numbers, all-or-nothing
 * batches, the cap): what the engine runs on when IndexedDB cannot be used. Gone with the page.
 */
import type { StoredEvent } from '../../src/events';
import type { History } from './history';

export class MemoryHistory implements History {
  readonly kind = 'memory' as const;
  readonly #cap: number;
  #events: StoredEvent[] = [];
  #next = 1;

  constructor(cap: number, seed: readonly StoredEvent[] = []) {
    this.#cap = cap;
    for (const e of seed) this.#events.push({ ...e, seq: this.#next++ });
    this.#trim();
  }

  #trim(): void {
    if (this.#events.length > this.#cap) this.#events = this.#events.slice(-this.#cap);
  }

  async append(events: readonly StoredEvent[]): Promise<{ stored: StoredEvent[] }> {
    const stored = events.map((e) => ({ ...e, seq: this.#next++ }) as StoredEvent);
    this.#events.push(...stored);
    this.#trim();
    return { stored };
  }

  async all(): Promise<StoredEvent[]> {
    return this.#events.map((e) => ({ ...e }));
  }

  async count(): Promise<number> {
    return this.#events.length;
  }

  async clear(): Promise<void> {
    this.#events = [];
  }

  close(): void {
    this.#events = [];
  }
}
