/**
 * What turns full-catalog scores into a shelf: the exclusion mask (the request's ids, the shopper's own items),
 * the request's business rules checked against the catalog's attributes, and the selection (plain top-k, or the
 * rules' filters, boosts, caps, MMR and pins). Caches what depends only on the catalog and the item matrix.
 */
import type { RecommendResult, Rules } from '../src/protocol';
import type { CatalogIndex } from './catalog-index';
import type { ItemMatrix } from './engine/item-matrix';
import { topK } from './engine/score';
import type { Scorer } from './engine/simd-scorer';
import type { ShopperProfile } from './history/profile';
import type { CheckedRecommendRequest } from './recommend-request';
import { applyRules, attributeNames, checkRules, selectShelf } from './rules';
import { rowNorms } from './search/semantic';
import { demote, explore, type TopKFn } from './feedback';

export interface ShelfSource {
  catalog: CatalogIndex;
  matrix: ItemMatrix;
  profile: ShopperProfile;
  /** Non-zero for rows never to show (removed by an update): always in the exclusion mask. */
  removed?: Uint8Array | undefined;
  /** The scorer that made the scores: its `topK` is the fast one for its own buffer (else `topK` of score.ts). */
  scorer?: Pick<Scorer, 'topK'> | undefined;
}

export class Shelves {
  #normsOf: ItemMatrix | undefined;
  #rowNorms: Float32Array | undefined;
  #attributesOf: CatalogIndex | undefined;
  #attributeNames: Set<string> | undefined;

  /** Row norms of the item matrix (for cosines), computed again when the matrix grows (catalog.add). */
  norms(matrix: ItemMatrix): Float32Array {
    if (this.#normsOf !== matrix) {
      this.#normsOf = matrix;
      this.#rowNorms = rowNorms(matrix);
    }
    return this.#rowNorms!;
  }

  /** Masks given back by finished calls, for the next ones (a 1M-item catalog would allocate 1 MB a call). */
  readonly #spareMasks: Uint8Array[] = [];

  /**
   * Non-zero for rows to leave out: removed, outside `filter.ids`, in `exclude`, or the shopper's own items per
   * `omit`. Give it back with `release` once the call is done with it.
   */
  exclusionMask(src: ShelfSource, request: CheckedRecommendRequest): Uint8Array {
    const size = src.catalog.size;
    const spare = this.#spareMasks.findIndex((m) => m.length === size);
    const mask = spare >= 0 ? this.#spareMasks.splice(spare, 1)[0]!.fill(0) : new Uint8Array(size);
    const rowOf = (id: unknown): number | undefined => (typeof id === 'string' ? src.catalog.row(id) : undefined);
    const removed = src.removed;
    if (request.allow !== undefined) {
      mask.fill(1);
      for (const id of request.allow) {
        const row = rowOf(id);
        if (row !== undefined && !removed?.[row]) mask[row] = 0;
      }
    } else if (removed) {
      mask.set(removed.length > mask.length ? removed.subarray(0, mask.length) : removed); // a copy, not a loop
    }
    const drop = (id: unknown): void => {
      const row = rowOf(id);
      if (row !== undefined) mask[row] = 1;
    };
    request.exclude.forEach(drop);
    if (request.omit === 'history') src.profile.interacted.forEach(drop);
    else if (request.omit === 'purchased') src.profile.purchased.forEach(drop);
    return mask;
  }

  /** The scorer's top k (fast over its own score buffer) where the source has one, else `topK`. */
  #top(src: ShelfSource): TopKFn {
    const scorer = src.scorer;
    return scorer ? (scores, k, excluded) => scorer.topK(scores, k, excluded) : topK;
  }

  /** A mask of `exclusionMask` the call no longer uses (kept for a later call; at most two are kept). */
  release(mask: Uint8Array): void {
    if (this.#spareMasks.length < 2 && !this.#spareMasks.includes(mask)) this.#spareMasks.push(mask);
  }

  /** The rules of a request, checked against the catalog's attributes. @throws LocalshelfError `INVALID_ARGUMENT` */
  rules(catalog: CatalogIndex, request: unknown): Rules | undefined {
    const rules = (request as { rules?: unknown } | null | undefined)?.rules;
    if (rules === undefined) return undefined;
    if (this.#attributesOf !== catalog) {
      this.#attributesOf = catalog;
      this.#attributeNames = attributeNames(catalog.entries);
    }
    return checkRules(rules, this.#attributeNames!);
  }

  /**
   * Top `k` rows of `scores` not in `mask`; with rules, after filters, boosts, caps, MMR and pins; the last
   * `explore` slots drawn from just below the shelf.
   */
  select(src: ShelfSource, scores: Float32Array, mask: Uint8Array, k: number, rules: Rules | undefined, exploreSlots = 0): { rows: ArrayLike<number>; scores: ArrayLike<number> } {
    if (rules) applyRules(src.catalog.entries, rules, scores, mask);
    let best: { rows: ArrayLike<number>; scores: ArrayLike<number> } = rules
      ? selectShelf({ entries: src.catalog.entries, scores, mask, k, rules, matrix: src.matrix, norms: this.norms(src.matrix), rowOf: (id) => src.catalog.row(id) })
      : this.#top(src)(scores, k, mask);
    if (exploreSlots > 0) {
      const rows = explore(Array.from(best.rows), scores, mask, k, exploreSlots, Math.random, this.#top(src));
      best = { rows, scores: rows.map((r) => scores[r]!) };
    }
    return best;
  }

  /** The feedback loop: items the shopper keeps being shown and passing over go down (workers/feedback.ts). */
  demote(src: ShelfSource, scores: Float32Array, mask: Uint8Array, k: number): void {
    const ignored = src.profile.ignored;
    if (ignored.size === 0) return;
    const rows: [number, number][] = [];
    for (const [id, n] of ignored.entries(Date.now())) {
      const row = src.catalog.row(id);
      if (row !== undefined) rows.push([row, n]);
    }
    demote(scores, mask, rows, k, undefined, this.#top(src));
  }

  /** The most popular items (no usable history), the rules applied. */
  popular(src: ShelfSource, k: number, mask: Uint8Array, started: number, rules?: Rules): Omit<RecommendResult, 'recommendationId'> {
    const entries = src.catalog.entries;
    if (rules) {
      const best = this.select(src, Float32Array.from(entries, (e) => e.popularity), mask, k, rules);
      const items = Array.from(best.rows, (row, i) => ({ id: entries[row]!.id, title: entries[row]!.title, score: best.scores[i]! }));
      return { items, source: 'popular', historyUsed: 0, elapsedMs: performance.now() - started };
    }
    const items = [];
    for (const row of src.catalog.byPopularity) {
      if (items.length >= k) break;
      if (mask[row]) continue;
      const e = entries[row]!;
      items.push({ id: e.id, title: e.title, score: e.popularity });
    }
    return { items, source: 'popular', historyUsed: 0, elapsedMs: performance.now() - started };
  }
}
