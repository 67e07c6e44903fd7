/** User vectors from the exported encoder (onnxruntime-node), in batches: what the browser computes per shopper. */
import * as ort from 'onnxruntime-node';
import { buildEncoderBatch, createEncoderInputBuffers, ENCODER_INPUTS, ENCODER_OUTPUT, type HistoryEvent } from '../workers/engine/encoder-input';
import type { ItemMatrix } from '../workers/engine/item-matrix';
import { zeroLoraFeeds, type LoraSpec } from './run-model';

/** User vectors of `histories` (matrix rows, oldest first; views), `[n, dim]` row-major. */
export async function userVectorsOf(
  session: ort.InferenceSession,
  matrix: ItemMatrix,
  maxLen: number,
  lora: LoraSpec | undefined,
  histories: readonly (readonly number[])[],
): Promise<Float32Array> {
  const dim = matrix.dim;
  const out = new Float32Array(histories.length * dim);
  const feeds = zeroLoraFeeds(lora, session.inputNames);
  const batch = 256;
  const buffers = createEncoderInputBuffers(batch, maxLen, dim);
  for (let start = 0; start < histories.length; start += batch) {
    const events: HistoryEvent[][] = histories.slice(start, start + batch).map((h) => h.slice(-maxLen).map((row) => ({ row, type: 1 as const })));
    const input = buildEncoderBatch(matrix, events, maxLen, buffers);
    const res = await session.run({
      [ENCODER_INPUTS.itemVectors]: new ort.Tensor('float32', input.itemVectors, [...input.itemVectorsDims]),
      [ENCODER_INPUTS.eventTypes]: new ort.Tensor('int64', input.eventTypes, [...input.eventTypesDims]),
      ...feeds,
    });
    out.set((res[ENCODER_OUTPUT]!.data as Float32Array).subarray(0, events.length * dim), start * dim);
  }
  return out;
}
