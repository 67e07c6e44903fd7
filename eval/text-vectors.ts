/**
 * Text-only item vectors the way the browser makes them for an item it has never seen: tokenize the title with
 * the model's `text/tokenizer.json`, run the text tower (`text/onnx/model_quantized.onnx`, transformers.js
 * feature-extraction layout) and take the attention-masked mean of `last_hidden_state` (docs/artifacts.md).
 */
import * as ort from 'onnxruntime-node';
import { quantizeRows, type ItemMatrix } from '../workers/engine/item-matrix';
import type { WordPieceTokenizer } from '../workers/search/wordpiece';

/**
 * Vectors for `texts`, row-major `[texts.length, dim]`.
 *
 * @param batchSize - titles per text-tower call (padded to the longest in the batch). @defaultValue 128
 */
export async function textVectors(
  session: ort.InferenceSession,
  tokenizer: WordPieceTokenizer,
  texts: readonly string[],
  dim: number,
  batchSize = 128,
): Promise<Float32Array> {
  const out = new Float32Array(texts.length * dim);
  for (let start = 0; start < texts.length; start += batchSize) {
    const ids = texts.slice(start, start + batchSize).map((t) => tokenizer.encode(t));
    const b = ids.length;
    const t = Math.max(...ids.map((x) => x.length));
    const inputIds = new BigInt64Array(b * t);
    const mask = new BigInt64Array(b * t);
    ids.forEach((row, i) => {
      row.forEach((id, j) => {
        inputIds[i * t + j] = BigInt(id);
        mask[i * t + j] = 1n;
      });
    });
    const res = await session.run({
      input_ids: new ort.Tensor('int64', inputIds, [b, t]),
      attention_mask: new ort.Tensor('int64', mask, [b, t]),
    });
    const h = res.last_hidden_state;
    if (!h || h.dims[2] !== dim) throw new Error(`text tower output ${h ? `[${h.dims.join(', ')}]` : 'missing'}, expected [B, T, ${dim}]`);
    const data = h.data as Float32Array;
    ids.forEach((row, i) => {
      const o = (start + i) * dim;
      for (let j = 0; j < row.length; j++) {
        const base = (i * t + j) * dim;
        for (let d = 0; d < dim; d++) out[o + d]! += data[base + d]!;
      }
      for (let d = 0; d < dim; d++) out[o + d]! /= row.length;
    });
  }
  return out;
}

/**
 * A copy of `matrix` whose rows `rows[k]` are replaced by the quantized `vectors[k]` (what the engine does for an
 * item whose vector comes from text at run time).
 */
export function replaceRows(matrix: ItemMatrix, rows: readonly number[], vectors: Float32Array): ItemMatrix {
  const { dim } = matrix;
  const { scales, q } = quantizeRows(vectors, rows.length, dim);
  const outScales = Float32Array.from(matrix.scales);
  const outQ = Int8Array.from(matrix.q);
  rows.forEach((r, k) => {
    outScales[r] = scales[k]!;
    outQ.set(q.subarray(k * dim, (k + 1) * dim), r * dim);
  });
  return { rows: matrix.rows, dim, scales: outScales, q: outQ };
}

/** Cosine similarity of row `k` of `a` (float, `[n, dim]`) with row `rows[k]` of the matrix, for every k. */
export function rowCosines(a: Float32Array, matrix: ItemMatrix, rows: readonly number[]): Float64Array {
  const { dim, q, scales } = matrix;
  return Float64Array.from(rows, (r, k) => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let d = 0; d < dim; d++) {
      const x = a[k * dim + d]!;
      const y = scales[r]! * q[r * dim + d]!;
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : na === nb ? 1 : 0;
  });
}
