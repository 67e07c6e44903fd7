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
