/**
 * The on-device feedback loop, pure compute. Impressions the app reports (`track({ type: 'impression' })`) and
 * the shopper's reactions make a per-item "ignored" count: +1 for each time an item was shown, decaying with a
 * half-life, back to 0 when the shopper views, clicks, carts or buys it. Items ignored more than `free` times are
 * demoted in proportion to the score spread of the shelf, so a shelf the shopper keeps passing over changes
 * instead of being a fixed point; optional exploration slots are drawn from just below the shelf (a softmax over
 * the next candidates, Thompson-style). EVAL.md "Feedback loop" replays it on Beauty test users.
 */
import { topK, type Exclusion, type TopK } from './engine/score';

/** `topK` of score.ts, or a scorer's faster one over its own buffer (same answer). */
export type TopKFn = (scores: Float32Array, k: number, excluded?: Exclusion) => TopK;

export interface FeedbackSettings {
  /** Half-life of an ignored impression, ms. @defaultValue one day */
  halfLifeMs: number;
  /** Impressions ignored before demotion starts. @defaultValue `2` */
  free: number;
  /** Demotion per ignored impression beyond `free`, as a fraction of the shelf's score spread. @defaultValue `0.25` */
  strength: number;
}

export const DEFAULT_FEEDBACK: FeedbackSettings = { halfLifeMs: 86_400_000, free: 2, strength: 0.25 };

/** Ignored-impression counts per item id, decayed lazily. */
export class IgnoredImpressions {
  readonly #counts = new Map<string, { n: number; at: number }>();
  readonly #halfLifeMs: number;

  constructor(halfLifeMs = DEFAULT_FEEDBACK.halfLifeMs) {
    this.#halfLifeMs = halfLifeMs;
  }

  #decayed(id: string, now: number): number {
    const c = this.#counts.get(id);
    if (!c) return 0;
    return c.n * 0.5 ** (Math.max(0, now - c.at) / this.#halfLifeMs);
  }

  shown(ids: readonly string[], at: number): void {
    for (const id of ids) this.#counts.set(id, { n: this.#decayed(id, at) + 1, at });
  }

  engaged(id: string): void {
    this.#counts.delete(id);
  }

  /** Every item with a count, and its count at `now`. */
  *entries(now: number): IterableIterator<[string, number]> {
    for (const id of this.#counts.keys()) yield [id, this.#decayed(id, now)];
  }

  get size(): number {
    return this.#counts.size;
  }

  clear(): void {
    this.#counts.clear();
  }
}

/**
 * Lowers the scores of ignored items (rows → ignored count) by `strength · spread · (count − free)`, the spread
 * being the gap between the best eligible score and the `4k`-th.
 */
export function demote(scores: Float32Array, mask: Uint8Array, ignored: Iterable<[number, number]>, k: number, s: FeedbackSettings = DEFAULT_FEEDBACK, top: TopKFn = topK): void {
  const list = [...ignored].filter(([, n]) => n > s.free);
  if (list.length === 0) return;
  const best = top(scores, 4 * k, mask);
  if (best.scores.length < 2) return;
  const spread = best.scores[0]! - best.scores[best.scores.length - 1]!;
  for (const [row, n] of list) scores[row] = scores[row]! - s.strength * spread * (n - s.free);
}

/**
 * Replaces the last `slots` of a shelf with items drawn from the next `4k` candidates, each with probability
 * ∝ exp((score − best) / T), T = a fifth of their score spread. `random` in [0, 1).
 */
export function explore(shelf: number[], scores: Float32Array, mask: Uint8Array, k: number, slots: number, random: () => number, top: TopKFn = topK): number[] {
  if (slots <= 0 || shelf.length < k) return shelf;
  const keep = shelf.slice(0, k - slots);
  const taken = new Set(keep);
  const pool = Array.from(top(scores, 5 * k, mask).rows).filter((r) => !taken.has(r)).slice(0, 4 * k + slots);
  if (pool.length <= slots) return shelf;
  const best = scores[pool[0]!]!;
  const t = Math.max((best - scores[pool.at(-1)!]!) / 5, 1e-6);
  const weights = pool.map((r) => Math.exp((scores[r]! - best) / t));
  const out = [...keep];
  for (let s = 0; s < slots; s++) {
    let total = 0;
    for (const w of weights) total += w;
    let x = random() * total;
    let i = 0;
    while (i < weights.length - 1 && (x -= weights[i]!) > 0) i++;
    out.push(pool[i]!);
    weights[i] = 0;
  }
  return out;
}
