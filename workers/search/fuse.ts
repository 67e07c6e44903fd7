/**
 * Hybrid ranking: lexical and semantic candidates are pooled, each signal is scaled to 0..1 over the pool,
 * relevance is their weighted sum, and the shopper's history adds a bounded personal boost. Pure compute,
 * shared by the worker and the evaluation (eval/search/), so the figures in EVAL.md are this code's.
 */
import { topK } from '../engine/score';
import type { LexicalHit } from './lexical-index';

/** Fusion weights. The defaults were chosen on validation users by `npx tsx eval/search/cli.ts` (EVAL.md, Search). */
export interface FusionWeights {
  /** Weight of the lexical signal in relevance; the semantic signal gets `1 - lexical`. */
  lexical: number;
  /** Largest personal boost, in relevance units (relevance is at most 1). */
  personal: number;
}

export const DEFAULT_WEIGHTS: FusionWeights = { lexical: 0.9, personal: 0.5 };

/** How many candidates each retriever contributes. */
export const CANDIDATES = { lexical: 1000, semantic: 100 } as const;

export interface FusionInput {
  lexical: readonly LexicalHit[];
  /** Cosine of the query with every row (absent without a text encoder). */
  semantic?: Float32Array;
  /** How many rows to score (the catalog size). */
  rows: number;
  /** Rows that must not be returned (non-zero = excluded). */
  mask?: Uint8Array;
  /** `user · item` for a row (absent: not personalized). */
  personal?: (row: number) => number;
  weights?: FusionWeights;
  semanticCandidates?: number;
}

export interface FusedHit {
  row: number;
  score: number;
  relevance: number;
  lexical: number;
  semantic: number;
  personal: number;
  terms: string[];
}

/** Pools the candidates, ranks them, and returns every one of them, best first (callers cut to `k`). */
export function fuse(input: FusionInput): FusedHit[] {
  const w = input.weights ?? DEFAULT_WEIGHTS;
  const pool = new Map<number, FusedHit>();
  const excluded = (row: number): boolean => input.mask !== undefined && input.mask[row] !== 0;
  const add = (row: number): FusedHit => {
    let hit = pool.get(row);
    if (!hit) {
      hit = { row, score: 0, relevance: 0, lexical: 0, semantic: input.semantic?.[row] ?? 0, personal: 0, terms: [] };
      pool.set(row, hit);
    }
    return hit;
  };
  for (const h of input.lexical) {
    if (excluded(h.row)) continue;
    const hit = add(h.row);
    hit.lexical = h.score;
    hit.terms = h.terms;
  }
  const hasLexical = pool.size > 0;
  if (input.semantic) {
    const best = topK(input.semantic, input.semanticCandidates ?? CANDIDATES.semantic, input.mask, input.rows);
    for (const row of best.rows) add(row);
  }
  const hits = [...pool.values()];
  if (hits.length === 0) return hits;

  let maxLex = 0;
  let minSem = Infinity;
  let maxSem = -Infinity;
  for (const h of hits) {
    maxLex = Math.max(maxLex, h.lexical);
    minSem = Math.min(minSem, h.semantic);
    maxSem = Math.max(maxSem, h.semantic);
  }
  const semSpan = maxSem - minSem;
  // Without lexical matches (or without a text encoder) the other signal carries all the weight.
  const wLex = !input.semantic ? 1 : hasLexical ? w.lexical : 0;
  for (const h of hits) {
    const lex = maxLex > 0 ? h.lexical / maxLex : 0;
    const sem = input.semantic && semSpan > 0 ? (h.semantic - minSem) / semSpan : 0;
    h.relevance = wLex * lex + (1 - wLex) * sem;
  }
  if (input.personal && w.personal > 0) personalize(hits, input.personal, w.personal);
  for (const h of hits) h.score = h.relevance + h.personal;
  hits.sort((a, b) => b.score - a.score || a.row - b.row);
  return hits;
}

/**
 * Personal boost: the user's score of each candidate, standardized over the pool and squashed to
 * `[-maxBoost, maxBoost]` (`maxBoost · tanh(z / 2)`), so history re-orders close calls but cannot lift an
 * item that does not match the query over one that does.
 */
function personalize(hits: FusedHit[], score: (row: number) => number, maxBoost: number): void {
  const raw = hits.map((h) => score(h.row));
  const mean = raw.reduce((a, b) => a + b, 0) / raw.length;
  const sd = Math.sqrt(raw.reduce((a, b) => a + (b - mean) ** 2, 0) / raw.length);
  hits.forEach((h, i) => {
    h.personal = sd > 0 ? maxBoost * Math.tanh((raw[i]! - mean) / sd / 2) : 0;
  });
}
