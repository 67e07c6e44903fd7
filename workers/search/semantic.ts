/**
 * Semantic retrieval: cosine similarity of the query's text vector with every item vector, straight from the
 * int8 matrix (`cos_i = s_i Σ_j q_ij u_j / ‖v_i‖` with `u` the unit query vector). Pure compute.
 */
import type { ItemMatrix } from '../engine/item-matrix';
import { scoreAll } from '../engine/score';

/** ‖v_i‖ of every row (`s_i · ‖q_i‖`). */
export function rowNorms(matrix: ItemMatrix, from = 0, into?: Float32Array): Float32Array {
  const { rows, dim, q, scales } = matrix;
  const out = into ?? new Float32Array(rows);
  for (let i = from; i < rows; i++) {
    let sum = 0;
    for (let j = 0, o = i * dim; j < dim; j++) sum += q[o + j]! * q[o + j]!;
    out[i] = scales[i]! * Math.sqrt(sum);
  }
  return out;
}

/** Unit-length copy of `v` (zeros stay zeros). */
export function unit(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const n = Math.sqrt(sum);
  return n > 0 ? v.map((x) => x / n) : new Float32Array(v.length);
}

/** Cosine of `query` (any length-`dim` vector) with every row, into `out`. Rows of norm 0 get 0. */
export function cosineAll(matrix: ItemMatrix, norms: Float32Array, query: Float32Array, out?: Float32Array): Float32Array {
  const scores = scoreAll(matrix, unit(query), out);
  for (let i = 0; i < matrix.rows; i++) scores[i] = norms[i]! > 0 ? scores[i]! / norms[i]! : 0;
  return scores;
}
