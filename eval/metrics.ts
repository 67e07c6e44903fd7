/**
 * Leave-one-out ranking metrics over the full catalog (never sampled negatives).
 *
 * Rank rule: `rank = 1 + #{eligible items with a strictly greater score than the target}`, plus, for ties,
 * `#{eligible items with exactly the target's score}` under the default **pessimistic** rule (a tie never helps
 * the model, so a constant scorer gets HR = 0, not 1). `optimistic` ignores ties (what `(s > s_t).sum() + 1`
 * computes in PyTorch); `average` adds half of them (expected rank under a random tie-break).
 * Eligible = every item except the excluded ones (e.g. the user's history); the target is never excluded, even
 * if it also occurs in the history. A target with a NaN score ranks last.
 */

/** How items with exactly the target's score count towards its rank. */
export type TieRule = 'pessimistic' | 'optimistic' | 'average';

/** Result of {@link rankOfTarget}. */
export interface TargetRank {
  /** 1-based rank of the target among eligible items (fractional only with the `average` rule). */
  readonly rank: number;
  /** Eligible items (other than the target) whose score equals the target's. */
  readonly ties: number;
}

/**
 * Rank of `target` among the scores, leaving out excluded items.
 *
 * @param scores - one score per item row (only the first `length` count).
 * @param target - row of the held-out item.
 * @param excluded - rows to leave out of the ranking (e.g. history); the target itself is never left out.
 */
export function rankOfTarget(
  scores: Float32Array,
  target: number,
  excluded?: ArrayLike<number>,
  ties: TieRule = 'pessimistic',
  length = scores.length,
): TargetRank {
  if (!Number.isInteger(target) || target < 0 || target >= length) {
    throw new RangeError(`target row ${target} is outside 0..${length - 1}`);
  }
  const t = scores[target]!;
  if (t !== t) return { rank: countEligible(length, target, excluded) + 1, ties: 0 };
  let greater = 0;
  let equal = 0;
  for (let i = 0; i < length; i++) {
    const s = scores[i]!;
    if (s > t) greater++;
    else if (s === t) equal++;
  }
  equal--; // the target itself
  // Take excluded items back out (each distinct row once; never the target).
  if (excluded && excluded.length > 0) {
    const seen = new Set<number>();
    for (let k = 0; k < excluded.length; k++) {
      const r = excluded[k]!;
      if (r === target || r < 0 || r >= length || seen.has(r)) continue;
      seen.add(r);
      const s = scores[r]!;
      if (s > t) greater--;
      else if (s === t) equal--;
    }
  }
  const tieShare = ties === 'pessimistic' ? equal : ties === 'average' ? equal / 2 : 0;
  return { rank: 1 + greater + tieShare, ties: equal };
}

function countEligible(length: number, target: number, excluded?: ArrayLike<number>): number {
  if (!excluded) return length - 1;
  const out = new Set<number>();
  for (let k = 0; k < excluded.length; k++) {
    const r = excluded[k]!;
    if (r !== target && r >= 0 && r < length) out.add(r);
  }
  return length - 1 - out.size;
}

/** Hit rate at k for one target: 1 if it ranks in the top k, else 0. */
export function hitAt(rank: number, k: number): number {
  return rank <= k ? 1 : 0;
}

/** NDCG at k for a single relevant item: `1 / log2(rank + 1)` inside the top k, else 0 (the ideal DCG is 1). */
export function ndcgAt(rank: number, k: number): number {
  return rank <= k ? 1 / Math.log2(rank + 1) : 0;
}

/** Metric means over a set of users. */
export interface MetricSummary {
  readonly users: number;
  /** `HR@k` for every requested k. */
  readonly hr: Readonly<Record<number, number>>;
  /** `NDCG@k` for every requested k. */
  readonly ndcg: Readonly<Record<number, number>>;
  /** Mean reciprocal rank over the full ranking. */
  readonly mrr: number;
  /** Users whose target tied with at least one other eligible item. */
  readonly usersWithTies: number;
  /** Standard error of NDCG at the first k (for "within noise" comparisons). */
  readonly ndcgStdErr: number;
}

/** Accumulates per-user ranks into HR@k / NDCG@k means. */
export class MetricAccumulator {
  private readonly hrSum: number[];
  private readonly ndcgSum: number[];
  private ndcgSq = 0;
  private rrSum = 0;
  private users = 0;
  private tied = 0;

  /** @param ks - cut-offs to report, e.g. `[10, 20]`. */
  constructor(readonly ks: readonly number[] = [10, 20]) {
    this.hrSum = ks.map(() => 0);
    this.ndcgSum = ks.map(() => 0);
  }

  /** Add one user's result. */
  add(result: TargetRank): void {
    this.users++;
    if (result.ties > 0) this.tied++;
    this.rrSum += 1 / result.rank;
    this.ks.forEach((k, i) => {
      this.hrSum[i]! += hitAt(result.rank, k);
      const n = ndcgAt(result.rank, k);
      this.ndcgSum[i]! += n;
      if (i === 0) this.ndcgSq += n * n;
    });
  }

  /** Means so far (zeros for no users). */
  summary(): MetricSummary {
    const u = this.users || 1;
    const hr: Record<number, number> = {};
    const ndcg: Record<number, number> = {};
    this.ks.forEach((k, i) => {
      hr[k] = this.hrSum[i]! / u;
      ndcg[k] = this.ndcgSum[i]! / u;
    });
    const mean = this.ks.length ? this.ndcgSum[0]! / u : 0;
    const variance = Math.max(0, this.ndcgSq / u - mean * mean);
    return {
      users: this.users,
      hr,
      ndcg,
      mrr: this.rrSum / u,
      usersWithTies: this.tied,
      ndcgStdErr: Math.sqrt(variance / u),
    };
  }
}

/**
 * Summarize stored per-user ranks, optionally over a subset of users (`mask[u]` truthy = include user `u`).
 */
export function summarizeRanks(
  ranks: ArrayLike<number>,
  ties: ArrayLike<number>,
  ks: readonly number[] = [10, 20],
  mask?: ArrayLike<number | boolean>,
): MetricSummary {
  const acc = new MetricAccumulator(ks);
  for (let u = 0; u < ranks.length; u++) {
    if (mask && !mask[u]) continue;
    acc.add({ rank: ranks[u]!, ties: ties[u]! });
  }
  return acc.summary();
}

/**
 * Paired difference of NDCG@k between two runs over the same users (`b - a`), with its standard error: the
 * right test for "do int8 and fp32 agree within noise", since both rank the same targets.
 */
export function pairedNdcgDiff(
  ranksA: ArrayLike<number>,
  ranksB: ArrayLike<number>,
  k = 10,
  mask?: ArrayLike<number | boolean>,
): { meanA: number; meanB: number; diff: number; stdErr: number; users: number } {
  let n = 0;
  let sa = 0;
  let sb = 0;
  let sd = 0;
  let sd2 = 0;
  for (let u = 0; u < ranksA.length; u++) {
    if (mask && !mask[u]) continue;
    const a = ndcgAt(ranksA[u]!, k);
    const b = ndcgAt(ranksB[u]!, k);
    n++;
    sa += a;
    sb += b;
    sd += b - a;
    sd2 += (b - a) * (b - a);
  }
  const m = n ? sd / n : 0;
  const variance = n > 1 ? Math.max(0, (sd2 - n * m * m) / (n - 1)) : 0;
  return { meanA: n ? sa / n : 0, meanB: n ? sb / n : 0, diff: m, stdErr: Math.sqrt(variance / Math.max(n, 1)), users: n };
}
