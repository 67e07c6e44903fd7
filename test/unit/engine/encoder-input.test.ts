import { describe, expect, it } from 'vitest';
import { dequantizeRow, encodeItemMatrix, parseItemMatrix } from '../../../workers/engine/item-matrix';
import {
  buildEncoderBatch,
  buildEncoderInput,
  createEncoderInputBuffers,
  type HistoryEvent,
} from '../../../workers/engine/encoder-input';

const dim = 4;
const rows = 10;
const m = parseItemMatrix(
  encodeItemMatrix(Float32Array.from({ length: rows * dim }, (_, i) => ((i * 7) % 11) - 5), rows, dim),
);
const ev = (row: number, type: 1 | 2 | 3 | 4 = 1): HistoryEvent => ({ row, type });

describe('encoder input', () => {
  it('left-pads a short history, most recent last', () => {
    const input = buildEncoderInput(m, [ev(3, 1), ev(7, 4)], 5);
    expect(input.itemVectorsDims).toEqual([1, 5, dim]);
    expect(input.eventTypesDims).toEqual([1, 5]);
    expect(Array.from(input.eventTypes)).toEqual([0n, 0n, 0n, 1n, 4n]);
    expect(Array.from(input.itemVectors.subarray(0, 3 * dim))).toEqual(new Array(3 * dim).fill(0));
    expect(Array.from(input.itemVectors.subarray(3 * dim, 4 * dim))).toEqual(Array.from(dequantizeRow(m, 3)));
    expect(Array.from(input.itemVectors.subarray(4 * dim))).toEqual(Array.from(dequantizeRow(m, 7)));
  });

  it('keeps only the last maxLen events', () => {
    const history = [0, 1, 2, 3, 4, 5].map((r) => ev(r, r % 2 === 0 ? 2 : 3));
    const input = buildEncoderInput(m, history, 3);
    expect(Array.from(input.eventTypes)).toEqual([3n, 2n, 3n]);
    expect(Array.from(input.itemVectors.subarray(0, dim))).toEqual(Array.from(dequantizeRow(m, 3)));
    expect(Array.from(input.itemVectors.subarray(2 * dim))).toEqual(Array.from(dequantizeRow(m, 5)));
  });

  it('builds a batch row by row and reuses buffers without leftovers', () => {
    const buffers = createEncoderInputBuffers(3, 4, dim);
    buildEncoderBatch(m, [[ev(1), ev(2), ev(3), ev(4)], [ev(5)], [ev(6), ev(7)]], 4, buffers);
    const second = buildEncoderBatch(m, [[ev(9)], []], 4, buffers);
    expect(second.itemVectorsDims).toEqual([2, 4, dim]);
    expect(second.itemVectors.length).toBe(2 * 4 * dim);
    expect(second.itemVectors.buffer).toBe(buffers.itemVectors.buffer);
    expect(Array.from(second.eventTypes)).toEqual([0n, 0n, 0n, 1n, 0n, 0n, 0n, 0n]);
    expect(Array.from(second.itemVectors.subarray(4 * dim))).toEqual(new Array(4 * dim).fill(0));
    expect(Array.from(second.itemVectors.subarray(3 * dim, 4 * dim))).toEqual(Array.from(dequantizeRow(m, 9)));
  });

  it('rejects unknown rows, bad event types and bad maxLen', () => {
    expect(() => buildEncoderInput(m, [ev(rows)], 4)).toThrow(/outside the item matrix/);
    expect(() => buildEncoderInput(m, [{ row: 1, type: 0 as 1 }], 4)).toThrow(/event type 0/);
    expect(() => buildEncoderInput(m, [ev(1)], 0)).toThrow(/maxLen/);
    expect(() => buildEncoderBatch(m, [[ev(1)], [ev(1)]], 4, createEncoderInputBuffers(1, 4, dim))).toThrow(/need/);
  });
});
