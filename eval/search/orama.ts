/**
 * The comparison baseline: Orama's own hybrid search (BM25 + vector, its default weights) over the same catalog
 * titles and the same item vectors, queried with the same query vectors.
 */
import { create, insertMultiple, search, type AnyOrama } from '@orama/orama';
import { dequantizeRow, type ItemMatrix } from '../../workers/engine/item-matrix';

export interface OramaBaseline {
  db: AnyOrama;
  buildMs: number;
}

export async function buildOrama(titles: readonly string[], matrix: ItemMatrix): Promise<OramaBaseline> {
  const t0 = performance.now();
  const db = create({ schema: { row: 'number', title: 'string', embedding: `vector[${matrix.dim}]` } as const });
  const docs = titles.map((title, row) => ({ id: String(row), row, title, embedding: Array.from(dequantizeRow(matrix, row)) }));
  await insertMultiple(db, docs, 2000);
  return { db, buildMs: performance.now() - t0 };
}

/**
 * Rows of Orama's results for `term` (+ `vector` for hybrid), best first, and the time it took. `weights` are
 * Orama's `hybridWeights` (its defaults when absent); `vector: undefined` runs its full-text (BM25) mode.
 */
export async function oramaSearch(
  o: OramaBaseline,
  term: string,
  vector: Float32Array | undefined,
  weights?: { text: number; vector: number },
  limit = 100,
): Promise<{ rows: number[]; ms: number }> {
  const t0 = performance.now();
  const params = vector
    ? {
        mode: 'hybrid',
        term,
        properties: ['title'],
        vector: { value: Array.from(vector), property: 'embedding' },
        similarity: 0,
        limit,
        ...(weights ? { hybridWeights: weights } : {}),
      }
    : { term, properties: ['title'], limit };
  const res = await search(o.db, params as never);
  const ms = performance.now() - t0;
  return { rows: (res as unknown as { hits: { document: { row: number } }[] }).hits.map((h) => h.document.row), ms };
}
