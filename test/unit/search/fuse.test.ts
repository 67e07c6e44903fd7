import { describe, expect, it } from 'vitest';
import { fuse } from '../../../workers/search/fuse';
import type { LexicalHit } from '../../../workers/search/lexical-index';

const lex = (pairs: [number, number][]): LexicalHit[] => pairs.map(([row, score]) => ({ row, score, terms: ['t'] }));

describe('fuse', () => {
  it('keeps the lexical order without semantic or personal signals', () => {
    const hits = fuse({ lexical: lex([[3, 9], [1, 5], [7, 2]]), rows: 10 });
    expect(hits.map((h) => h.row)).toEqual([3, 1, 7]);
    expect(hits[0]!.relevance).toBe(1);
    expect(hits.every((h) => h.personal === 0 && h.semantic === 0)).toBe(true);
  });

  it('pools semantic candidates and scales both signals to 0..1', () => {
    const semantic = new Float32Array([0.9, 0.1, 0.2, 0.3, 0, 0, 0, 0, 0, 0.8]);
    const hits = fuse({ lexical: lex([[3, 4]]), semantic, rows: 10, semanticCandidates: 2, weights: { lexical: 0.5, personal: 0 } });
    expect(hits.map((h) => h.row).sort()).toEqual([0, 3, 9]);
    for (const h of hits) expect(h.relevance).toBeGreaterThanOrEqual(0);
    expect(hits.find((h) => h.row === 3)!.relevance).toBeCloseTo(0.5); // top lexical, lowest cosine of the pool
    expect(hits.find((h) => h.row === 0)!.relevance).toBeCloseTo(0.5); // top cosine, no lexical match
  });

  it('lets semantic carry everything when nothing matches lexically', () => {
    const semantic = new Float32Array([0.1, 0.5, 0.3]);
    const hits = fuse({ lexical: [], semantic, rows: 3, weights: { lexical: 0.9, personal: 0 } });
    expect(hits.map((h) => h.row)).toEqual([1, 2, 0]);
    expect(hits[0]!.relevance).toBe(1);
  });

  it('never returns masked rows', () => {
    const semantic = new Float32Array([0.9, 0.8, 0.7, 0.6]);
    const mask = new Uint8Array([1, 0, 1, 0]);
    const hits = fuse({ lexical: lex([[0, 5], [1, 4]]), semantic, rows: 4, mask });
    expect(hits.map((h) => h.row).sort()).toEqual([1, 3]);
  });

  it('bounds the personal boost: it re-orders close calls, not a clear match over a poor one', () => {
    const personal = (row: number): number => (row === 2 ? 100 : 0);
    const close = fuse({ lexical: lex([[1, 10], [2, 9.5], [3, 9.4], [4, 9.3]]), rows: 5, personal, weights: { lexical: 1, personal: 0.3 } });
    expect(close[0]!.row).toBe(2);
    expect(close[0]!.personal).toBeGreaterThan(0);
    expect(close[0]!.personal).toBeLessThanOrEqual(0.3);
    expect(close.every((h) => Math.abs(h.personal) <= 0.3)).toBe(true);
    const far = fuse({ lexical: lex([[1, 10], [2, 1], [3, 1], [4, 1]]), rows: 5, personal, weights: { lexical: 1, personal: 0.3 } });
    expect(far[0]!.row).toBe(1);
    const off = fuse({ lexical: lex([[1, 10], [2, 9.5]]), rows: 5, personal, weights: { lexical: 1, personal: 0 } });
    expect(off.map((h) => h.row)).toEqual([1, 2]);
  });

  it('breaks ties by row, so results are deterministic', () => {
    const hits = fuse({ lexical: lex([[5, 1], [2, 1], [9, 1]]), rows: 10 });
    expect(hits.map((h) => h.row)).toEqual([2, 5, 9]);
  });
});
