/**
 * Item-to-item and explanations, pure compute over the int8 item matrix: cosine similarity of one item's vector
 * with every item (`related(…, { mode: 'similar' })`), and for each recommended item the history items whose
 * vectors are closest to it (`because`). EVAL.md "Related items and reasons" measures both on Beauty.
 */
import { dequantizeRow, type ItemMatrix } from './engine/item-matrix';
import { cosineAll } from './search/semantic';

/** Cosine of item `row` with every row, into `out`; the item itself gets -Infinity (never its own neighbour). */
export function similarTo(matrix: ItemMatrix, norms: Float32Array, row: number, out?: Float32Array): Float32Array {
  const scores = cosineAll(matrix, norms, dequantizeRow(matrix, row), out);
  scores[row] = Number.NEGATIVE_INFINITY;
  return scores;
}

export interface Reason {
  row: number;
  /** Cosine similarity of the history item's vector and the recommended item's, in (0, 1]. */
  weight: number;
}

/**
 * The history items (rows, most recent last) that explain `target` best: the `max` with the highest positive
 * cosine to it, best first; a history item counted once however often it occurs.
 */
export function reasonsFor(matrix: ItemMatrix, norms: Float32Array, target: number, history: readonly number[], max = 3): Reason[] {
  const { dim, q } = matrix;
  const seen = new Set<number>();
  const out: Reason[] = [];
  const t = target * dim;
  for (const h of history) {
    if (seen.has(h) || h === target) continue;
    seen.add(h);
    const nh = norms[h]!;
    const nt = norms[target]!;
    if (!(nh > 0 && nt > 0)) continue;
    let dot = 0;
    for (let j = 0, o = h * dim; j < dim; j++) dot += q[o + j]! * q[t + j]!;
    const weight = (dot * matrix.scales[h]! * matrix.scales[target]!) / (nh * nt);
    if (weight > 0) out.push({ row: h, weight });
  }
  return out.sort((a, b) => b.weight - a.weight || a.row - b.row).slice(0, max);
}
