import { describe, expect, it } from 'vitest';
import { dequantizeRow, encodeItemMatrix, parseItemMatrix } from '../../../workers/engine/item-matrix';
import { scoreAll, topK } from '../../../workers/engine/score';

function lcg(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
}

/** The obvious reference: sort every eligible row by score desc, then row asc. */
function naiveTopK(scores: Float32Array, k: number, excluded: (i: number) => boolean = () => false): number[] {
  return Array.from(scores.keys())
    .filter((i) => !excluded(i) && !Number.isNaN(scores[i]))
    .sort((a, b) => scores[b]! - scores[a]! || a - b)
    .slice(0, k);
}

describe('scoreAll', () => {
  for (const dim of [64, 13, 8]) {
    it(`matches float math on the dequantized vectors (dim ${dim})`, () => {
      const rows = 300;
      const rand = lcg(dim);
      const m = parseItemMatrix(encodeItemMatrix(Float32Array.from({ length: rows * dim }, rand), rows, dim));
      const user = Float32Array.from({ length: dim }, rand);
      const bias = Float32Array.from({ length: rows }, rand);
      const out = new Float32Array(rows);
      expect(scoreAll(m, user, out)).toBe(out);
      const withBias = scoreAll(m, user, undefined, bias);
      for (let i = 0; i < rows; i++) {
        const v = dequantizeRow(m, i);
        let ref = 0;
        for (let j = 0; j < dim; j++) ref += v[j]! * user[j]!;
        expect(out[i]).toBeCloseTo(ref, 5);
        expect(withBias[i]).toBeCloseTo(ref + bias[i]!, 5);
      }
    });
  }

  it('rejects a user vector of the wrong size', () => {
    const m = parseItemMatrix(encodeItemMatrix(new Float32Array(8), 2, 4));
    expect(() => scoreAll(m, new Float32Array(5))).toThrow(/4 dims/);
  });
});

describe('topK', () => {
  it('agrees with a full sort, with many ties, for every k', () => {
    const rand = lcg(3);
    // Values on a coarse grid so ties are everywhere.
    const scores = Float32Array.from({ length: 200 }, () => Math.round(rand() * 5));
    for (const k of [0, 1, 2, 7, 50, 199, 200, 500]) {
      const got = topK(scores, k);
      const want = naiveTopK(scores, k);
      expect(Array.from(got.rows)).toEqual(want);
      expect(Array.from(got.scores)).toEqual(want.map((i) => scores[i]));
    }
  });

  it('breaks ties by the lower row index', () => {
    const scores = Float32Array.of(1, 3, 3, 2, 3);
    expect(Array.from(topK(scores, 2).rows)).toEqual([1, 2]);
    expect(Array.from(topK(scores, 4).rows)).toEqual([1, 2, 4, 3]);
  });

  it('excludes rows by Set and by mask alike', () => {
    const rand = lcg(11);
    const scores = Float32Array.from({ length: 1000 }, () => Math.round(rand() * 40));
    const excludedRows = [0, 5, 17, 999, ...naiveTopK(scores, 6)];
    const set = new Set(excludedRows);
    const mask = new Uint8Array(1000);
    for (const r of excludedRows) mask[r] = 1;
    const want = naiveTopK(scores, 20, (i) => set.has(i));
    expect(Array.from(topK(scores, 20, set).rows)).toEqual(want);
    expect(Array.from(topK(scores, 20, mask).rows)).toEqual(want);
    for (const r of excludedRows) expect(Array.from(topK(scores, 20, set).rows)).not.toContain(r);
  });

  it('returns fewer when fewer rows are eligible, and skips NaN', () => {
    const scores = Float32Array.of(NaN, 2, 1, NaN);
    expect(Array.from(topK(scores, 10, new Set([2])).rows)).toEqual([1]);
    expect(Array.from(topK(scores, 10).rows)).toEqual([1, 2]);
    expect(() => topK(scores, -1)).toThrow(/non-negative/);
  });

  it('ranks a real scoring pass like a full sort', () => {
    const dim = 64;
    const rows = 5000;
    const rand = lcg(5);
    const m = parseItemMatrix(encodeItemMatrix(Float32Array.from({ length: rows * dim }, rand), rows, dim));
    const scores = scoreAll(m, Float32Array.from({ length: dim }, rand));
    expect(Array.from(topK(scores, 100).rows)).toEqual(naiveTopK(scores, 100));
  });

  it('only: ranks just the listed rows (increasing), with exclusions and ties as for all rows', () => {
    const scores = Float32Array.from([5, 9, 9, 1, 7, Number.NaN, 9, 3]);
    expect(Array.from(topK(scores, 3, undefined, scores.length, [0, 2, 3, 5, 6, 7]).rows)).toEqual([2, 6, 0]);
    expect(Array.from(topK(scores, 3, new Set([6]), scores.length, [0, 2, 3, 5, 6, 7]).rows)).toEqual([2, 0, 7]);
    expect(Array.from(topK(scores, 5, Uint8Array.from([0, 0, 1]), scores.length, [2, 3]).rows)).toEqual([3]);
  });
});
