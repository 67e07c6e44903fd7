import { describe, expect, it } from 'vitest';
import { compileScorer, scorerSource } from '../../../tools/build-scorer';
import { readFileSync } from 'node:fs';
import { quantizeRows, type ItemMatrix } from '../../../workers/engine/item-matrix';
import { scoreAll, topK } from '../../../workers/engine/score';
import { createScorer } from '../../../workers/engine/simd-scorer';
import { seededRandom } from '../../../tools/lib/random-adapter';

/** A deterministic pseudo-random matrix, quantized as the exporter does. */
function matrixOf(rows: number, dim: number, seed = 7): ItemMatrix {
  const random = seededRandom(seed);
  const v = new Float32Array(rows * dim).map(() => random() * 2 - 1);
  return { rows, dim, ...quantizeRows(v, rows, dim) };
}

const userOf = (dim: number, f: (j: number) => number): Float32Array => Float32Array.from({ length: dim }, (_, j) => f(j));

describe('createScorer', () => {
  it('the committed wasm bytes are score.wat compiled (npm run build:scorer)', async () => {
    const committed = readFileSync(new URL('../../../workers/engine/simd/score-wasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(scorerSource(await compileScorer()));
  });

  it.each([64, 32, 48, 128])('runs the SIMD kernel in Node at dim %i and agrees with the JavaScript loop', (dim) => {
    const m = matrixOf(3001, dim);
    const user = userOf(dim, (j) => Math.sin(j * 1.7) * 3);
    const scorer = createScorer(m);
    expect(scorer.kind).toBe('wasm-simd');
    const got = scorer.score(user);
    const want = scoreAll(m, user);
    const scale = Math.max(...want.map(Math.abs));
    for (let i = 0; i < m.rows; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(scale * 1e-4);
    expect(Array.from(topK(got, 20).rows)).toEqual(Array.from(topK(want, 20).rows));
  });

  it.each([1, 2, 3, 4, 5, 7, 8, 9])('scores %i rows at dim 64 (blocks of four rows, then the rest one at a time)', (rows) => {
    const m = matrixOf(rows, 64, rows);
    const user = userOf(64, (j) => Math.cos(j * 0.9) * 2);
    const got = createScorer(m).score(user);
    const want = scoreAll(m, user);
    const scale = Math.max(...want.map(Math.abs));
    for (let i = 0; i < rows; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(scale * 1e-4);
  });

  it('adds the bias, and each call reuses one buffer', () => {
    const m = matrixOf(100, 64);
    const scorer = createScorer(m);
    const user = userOf(64, (j) => j / 64 - 0.5);
    const plain = Float32Array.from(scorer.score(user));
    const bias = Float32Array.from({ length: 100 }, (_, i) => i);
    const biased = scorer.score(user, bias);
    for (let i = 0; i < 100; i++) expect(biased[i]).toBeCloseTo(plain[i]! + i, 4);
    expect(scorer.score(user)).toBe(biased);
  });

  it('a zero user vector scores 0; NaN in the user vector gives NaN scores, as the JavaScript loop does', () => {
    const m = matrixOf(50, 64);
    const scorer = createScorer(m);
    expect([...scorer.score(new Float32Array(64))].every((s) => s === 0)).toBe(true);
    const bad = userOf(64, (j) => (j === 3 ? Number.NaN : 1));
    expect([...scorer.score(bad)].every(Number.isNaN)).toBe(true);
  });

  it('falls back to JavaScript for a dim that is not a multiple of 16, or on request', () => {
    const odd = matrixOf(40, 10);
    const scorer = createScorer(odd);
    expect(scorer.kind).toBe('js');
    const user = userOf(10, (j) => j - 5);
    expect(Array.from(scorer.score(user))).toEqual(Array.from(scoreAll(odd, user)));
    expect(createScorer(matrixOf(40, 64), { prefer: 'js' }).kind).toBe('js');
  });

  it('refuses a user vector of the wrong length', () => {
    expect(() => createScorer(matrixOf(10, 64)).score(new Float32Array(63))).toThrow(/63 values/);
  });
});

describe('Scorer.topK (the kernel prefilter over its own buffer)', () => {
  const same = (a: { rows: Int32Array; scores: Float32Array }, b: { rows: Int32Array; scores: Float32Array }) => {
    expect(Array.from(a.rows)).toEqual(Array.from(b.rows));
    expect(Array.from(a.scores)).toEqual(Array.from(b.scores));
  };

  it.each([10, 1, 37])('gives topK()\'s rows, scores and order at k = %i, with a mask and with a set', (k) => {
    const m = matrixOf(20_011, 64, 3);
    const scorer = createScorer(m);
    expect(scorer.kind).toBe('wasm-simd');
    const random = seededRandom(11);
    for (let trial = 0; trial < 5; trial++) {
      const scores = scorer.score(userOf(64, () => random() * 2 - 1));
      same(scorer.topK(scores, k), topK(scores, k));
      const mask = new Uint8Array(m.rows);
      // the best rows excluded, inside and outside the sample the bar comes from
      for (const r of topK(scores, 3 * k).rows) if (random() < 0.6) mask[r] = 1;
      same(scorer.topK(scores, k, mask), topK(scores, k, mask));
      const set = new Set(Array.from(topK(scores, 2 * k).rows).filter(() => random() < 0.5));
      same(scorer.topK(scores, k, set), topK(scores, k, set));
    }
  });

  it('keeps ties in row order, skips NaN, and falls back when no bar is useful', () => {
    const m = matrixOf(30_000, 64, 5);
    const scorer = createScorer(m);
    const scores = scorer.score(userOf(64, (j) => Math.sin(j)));
    scores.fill(1); // all tied: every row passes the bar, more than the prefilter keeps
    scores[29_000] = 2;
    scores[5] = Number.NaN;
    same(scorer.topK(scores, 10), topK(scores, 10));
    expect(Array.from(scorer.topK(scores, 3).rows)).toEqual([29_000, 0, 1]);
    for (let i = 0; i < scores.length; i++) scores[i] = i % 97 === 0 ? 5 : i / 30_000; // rising with the row
    same(scorer.topK(scores, 10), topK(scores, 10));
    const mask = new Uint8Array(30_000).fill(1); // nothing eligible in the sample
    mask[29_999] = 0;
    mask[12] = 0;
    same(scorer.topK(scores, 10, mask), topK(scores, 10, mask));
  });

  it('a buffer that is not the scorer\'s own, and a small catalog, go through topK()', () => {
    const m = matrixOf(500, 64, 9);
    const scorer = createScorer(m);
    const scores = Float32Array.from(scorer.score(userOf(64, (j) => j % 5)));
    same(scorer.topK(scores, 10), topK(scores, 10));
    same(scorer.topK(scorer.score(userOf(64, (j) => j % 3)), 10), topK(scorer.score(userOf(64, (j) => j % 3)), 10));
    expect(scorer.topK(scores, 0).rows.length).toBe(0);
  });
});
