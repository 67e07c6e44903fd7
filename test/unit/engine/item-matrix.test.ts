import { describe, expect, it } from 'vitest';
import {
  LSIM_HEADER_BYTES,
  appendRows,
  dequantizeRow,
  encodeItemMatrix,
  gatherRows,
  itemMatrixByteLength,
  parseItemMatrix,
  serializeItemMatrix,
} from '../../../workers/engine/item-matrix';
import { LocalshelfError } from '../../../src/errors';

function randomVectors(rows: number, dim: number, seed = 1): Float32Array {
  let x = seed;
  const next = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  return Float32Array.from({ length: rows * dim }, next);
}

function expectCode(fn: () => unknown, code: string, message?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LocalshelfError);
    expect((e as LocalshelfError).code).toBe(code);
    if (message) expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected a throw');
}

describe('LSIM item matrix', () => {
  const rows = 7;
  const dim = 12;
  const vectors = randomVectors(rows, dim);
  const file = encodeItemMatrix(vectors, rows, dim);

  it('writes the documented layout', () => {
    expect(file.byteLength).toBe(16 + 4 * rows + rows * dim);
    const view = new DataView(file);
    expect(new TextDecoder().decode(new Uint8Array(file, 0, 4))).toBe('LSIM');
    expect(view.getUint32(4, true)).toBe(1);
    expect(view.getUint32(8, true)).toBe(rows);
    expect(view.getUint32(12, true)).toBe(dim);
    // s_i = max |v_ij| / 127 and the largest magnitude quantizes to ±127
    const max0 = Math.max(...Array.from(vectors.subarray(0, dim), Math.abs));
    expect(view.getFloat32(16, true)).toBeCloseTo(max0 / 127, 7);
  });

  it('round-trips within half a quantization step', () => {
    const m = parseItemMatrix(file);
    expect(m.rows).toBe(rows);
    expect(m.dim).toBe(dim);
    for (let i = 0; i < rows; i++) {
      const row = dequantizeRow(m, i);
      for (let j = 0; j < dim; j++) {
        expect(Math.abs(row[j]! - vectors[i * dim + j]!)).toBeLessThanOrEqual(m.scales[i]! / 2 + 1e-7);
      }
    }
    expect(new Uint8Array(serializeItemMatrix(m))).toEqual(new Uint8Array(file));
  });

  it('parses from a Node Buffer view at an unaligned offset', () => {
    const padded = new Uint8Array(file.byteLength + 3);
    padded.set(new Uint8Array(file), 3);
    const m = parseItemMatrix(padded.subarray(3));
    expect(Array.from(m.scales)).toEqual(Array.from(parseItemMatrix(file).scales));
    expect(Array.from(m.q)).toEqual(Array.from(parseItemMatrix(file).q));
  });

  it('rejects a truncated file', () => {
    expectCode(() => parseItemMatrix(file.slice(0, file.byteLength - 1)), 'MODEL_CORRUPT', /expected exactly/);
    expectCode(() => parseItemMatrix(file.slice(0, 10)), 'MODEL_CORRUPT', /header/);
    expectCode(() => parseItemMatrix(new ArrayBuffer(0)), 'MODEL_CORRUPT');
  });

  it('rejects trailing bytes', () => {
    const longer = new Uint8Array(file.byteLength + 1);
    longer.set(new Uint8Array(file));
    expectCode(() => parseItemMatrix(longer.buffer), 'MODEL_CORRUPT', /expected exactly/);
  });

  it('rejects bad magic, unknown version, zero dim, non-finite scale', () => {
    const bad = (patch: (v: DataView) => void) => {
      const copy = file.slice(0);
      patch(new DataView(copy));
      return copy;
    };
    expectCode(() => parseItemMatrix(bad((v) => v.setUint8(0, 0x3c))), 'MODEL_CORRUPT', /magic/); // "<html"
    expectCode(() => parseItemMatrix(bad((v) => v.setUint32(4, 2, true))), 'MODEL_CORRUPT', /version 2/);
    expectCode(() => parseItemMatrix(bad((v) => v.setUint32(12, 0, true))), 'MODEL_CORRUPT', /dim/);
    expectCode(() => parseItemMatrix(bad((v) => v.setUint32(8, rows + 1, true))), 'MODEL_CORRUPT', /expected exactly/);
    expectCode(() => parseItemMatrix(bad((v) => v.setFloat32(LSIM_HEADER_BYTES + 4, NaN, true))), 'MODEL_CORRUPT', /row 1/);
  });

  it('gathers rows back to back, -1 as zero padding', () => {
    const m = parseItemMatrix(file);
    const out = new Float32Array(3 * dim).fill(9);
    gatherRows(m, [4, -1, 0], out);
    expect(Array.from(out.subarray(0, dim))).toEqual(Array.from(dequantizeRow(m, 4)));
    expect(Array.from(out.subarray(dim, 2 * dim))).toEqual(new Array(dim).fill(0));
    expect(Array.from(out.subarray(2 * dim))).toEqual(Array.from(dequantizeRow(m, 0)));
    expectCode(() => gatherRows(m, [rows], out), 'INVALID_ARGUMENT', /outside/);
    expectCode(() => gatherRows(m, [0, 1, 2, 3], out), 'INVALID_ARGUMENT', /room/);
  });

  it('appends rows without touching the original', () => {
    const m = parseItemMatrix(file);
    const extra = randomVectors(2, dim, 7);
    const grown = appendRows(m, extra, 2);
    expect(grown.rows).toBe(rows + 2);
    expect(m.rows).toBe(rows);
    expect(Array.from(dequantizeRow(grown, 3))).toEqual(Array.from(dequantizeRow(m, 3)));
    const alone = parseItemMatrix(encodeItemMatrix(extra, 2, dim));
    expect(Array.from(dequantizeRow(grown, rows + 1))).toEqual(Array.from(dequantizeRow(alone, 1)));
    expect(itemMatrixByteLength(grown.rows, dim)).toBe(serializeItemMatrix(grown).byteLength);
  });

  it('encodes an all-zero row with scale 0 and rejects non-finite input', () => {
    const m = parseItemMatrix(encodeItemMatrix(new Float32Array(dim), 1, dim));
    expect(m.scales[0]).toBe(0);
    expect(Array.from(dequantizeRow(m, 0))).toEqual(new Array(dim).fill(0));
    expectCode(() => encodeItemMatrix(Float32Array.of(1, Infinity), 1, 2), 'INVALID_ARGUMENT');
    expectCode(() => encodeItemMatrix(new Float32Array(5), 2, 2), 'INVALID_ARGUMENT');
  });
});
