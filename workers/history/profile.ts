/**
 * What the engine keeps in memory from the stored history: the last `maxLen` item events (the encoder's
 * input), the ids of every item the stored history has an item event for (left out of recommendations by
 * default) and the purchased ones.
 */
import { isItemEvent, type ItemEvent, type StoredEvent } from '../../src/events';
import { IgnoredImpressions } from '../feedback';

export class ShopperProfile {
  readonly #maxLen: number;
  #recent: ItemEvent[] = [];
  readonly #purchased = new Set<string>();
  readonly #interacted = new Set<string>();
  /** Items shown (impression events) and not engaged with since, decaying: the feedback loop's input. */
  readonly ignored = new IgnoredImpressions();

  constructor(maxLen: number) {
    this.#maxLen = maxLen;
  }

  /** Folds events (oldest first) into the profile. */
  add(events: readonly StoredEvent[]): void {
    for (const e of events) {
      if (e.type === 'impression') this.ignored.shown(e.itemIds, e.timestamp);
      if (!isItemEvent(e)) continue;
      this.ignored.engaged(e.itemId);
      this.#recent.push({ type: e.type, itemId: e.itemId, timestamp: e.timestamp });
      this.#interacted.add(e.itemId);
      if (e.type === 'purchase') this.#purchased.add(e.itemId);
    }
    // Keep a margin so events of unknown items can be skipped without losing known ones.
    if (this.#recent.length > this.#maxLen * 4) this.#recent = this.#recent.slice(-this.#maxLen * 2);
  }

  /** Item events, most recent last. */
  get recent(): readonly ItemEvent[] {
    return this.#recent;
  }

  get purchased(): ReadonlySet<string> {
    return this.#purchased;
  }

  /** Every item viewed, clicked, put in the cart or bought in the stored history (since start-up or the last clear). */
  get interacted(): ReadonlySet<string> {
    return this.#interacted;
  }

  clear(): void {
    this.#recent = [];
    this.#purchased.clear();
    this.#interacted.clear();
    this.ignored.clear();
  }
}
