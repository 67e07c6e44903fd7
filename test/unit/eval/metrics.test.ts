import { describe, expect, it } from 'vitest';
import { MetricAccumulator, hitAt, ndcgAt, pairedNdcgDiff, rankOfTarget } from '../../../eval/metrics';

const f = (...xs: number[]) => Float32Array.from(xs);

describe('rankOfTarget', () => {
  it('counts strictly greater scores', () => {
    expect(rankOfTarget(f(0.9, 0.5, 0.7, 0.1), 1)).toEqual({ rank: 3, ties: 0 });
    expect(rankOfTarget(f(0.9, 0.5, 0.7, 0.1), 0)).toEqual({ rank: 1, ties: 0 });
    expect(rankOfTarget(f(0.9, 0.5, 0.7, 0.1), 3)).toEqual({ rank: 4, ties: 0 });
  });

  it('leaves excluded (history) items out, but never the target', () => {
    const s = f(0.9, 0.5, 0.7, 0.1);
    expect(rankOfTarget(s, 1, [0]).rank).toBe(2);
    expect(rankOfTarget(s, 1, [0, 2]).rank).toBe(1);
    expect(rankOfTarget(s, 1, [3]).rank).toBe(3); // excluding a lower item changes nothing
    expect(rankOfTarget(s, 1, [1, 0, 0]).rank).toBe(2); // target in history and duplicates: ignored
  });

  it('applies the tie rule', () => {
    const s = f(0.5, 0.5, 0.7, 0.5, 0.1);
    expect(rankOfTarget(s, 1)).toEqual({ rank: 4, ties: 2 });
    expect(rankOfTarget(s, 1, undefined, 'optimistic')).toEqual({ rank: 2, ties: 2 });
    expect(rankOfTarget(s, 1, undefined, 'average')).toEqual({ rank: 3, ties: 2 });
    expect(rankOfTarget(s, 1, [3])).toEqual({ rank: 3, ties: 1 });
    // A constant scorer must not look perfect.
    expect(rankOfTarget(new Float32Array(100), 42).rank).toBe(100);
  });

  it('ranks a NaN target last among eligible items', () => {
    expect(rankOfTarget(f(1, NaN, 2, 3), 1, [0]).rank).toBe(3);
  });
});

describe('HR / NDCG', () => {
  it('matches hand-computed values', () => {
    expect(ndcgAt(1, 10)).toBe(1);
    expect(ndcgAt(3, 10)).toBeCloseTo(0.5, 12);
    expect(ndcgAt(2, 10)).toBeCloseTo(0.6309297535714575, 12);
    expect(ndcgAt(10, 10)).toBeCloseTo(1 / Math.log2(11), 12);
    expect(ndcgAt(11, 10)).toBe(0);
    expect(hitAt(10, 10)).toBe(1);
    expect(hitAt(11, 10)).toBe(0);
  });

  it('averages over users at each cut-off', () => {
    const acc = new MetricAccumulator([10, 20]);
    for (const rank of [1, 3, 15, 100]) acc.add({ rank, ties: rank === 100 ? 1 : 0 });
    const s = acc.summary();
    expect(s.users).toBe(4);
    expect(s.hr[10]).toBe(0.5);
    expect(s.hr[20]).toBe(0.75);
    expect(s.ndcg[10]).toBeCloseTo((1 + 0.5) / 4, 12);
    expect(s.ndcg[20]).toBeCloseTo((1 + 0.5 + 1 / Math.log2(16)) / 4, 12);
    expect(s.mrr).toBeCloseTo((1 + 1 / 3 + 1 / 15 + 1 / 100) / 4, 12);
    expect(s.usersWithTies).toBe(1);
    expect(s.ndcgStdErr).toBeGreaterThan(0);
  });
});

describe('pairedNdcgDiff', () => {
  it('gives the mean paired difference and its standard error', () => {
    // user 0: rank 1 -> 3 (1 -> 0.5), user 1: rank 2 -> 2 (no change), user 2 masked out
    const d = pairedNdcgDiff([1, 2, 1], [3, 2, 50], 10, [1, 1, 0]);
    expect(d.users).toBe(2);
    expect(d.meanA).toBeCloseTo((1 + 1 / Math.log2(3)) / 2, 12);
    expect(d.diff).toBeCloseTo(-0.25, 12);
    // diffs -0.5 and 0: sample sd = 0.353553, se = sd / sqrt(2) = 0.25
    expect(d.stdErr).toBeCloseTo(0.25, 12);
  });
});
