/**
 * The catalog's item matrix in the LSIM format (see docs/artifacts.md): one int8 row per item with a float32
 * scale, `item_vector_ij = s_i * q_ij`. Parsing is zero-copy where alignment allows; the matrix views the buffer.
 *
 * Pure compute: no DOM, no worker APIs; runs in Node and in a worker.
 */
import { LocalshelfError } from '../../src/errors';

/** The four bytes every LSIM file starts with: "LSIM". */
export const LSIM_MAGIC = 0x4d49534c; // "LSIM" read as a little-endian u32
/** The only LSIM format version this engine reads. */
export const LSIM_VERSION = 1;
/** Bytes before the scales: magic, version, rows, dim. */
export const LSIM_HEADER_BYTES = 16;

/** A parsed item matrix. `q` is row-major `[rows, dim]`; `scales[i]` dequantizes row `i`. */
export interface ItemMatrix {
  /** Number of catalog items (rows). */
  readonly rows: number;
  /** Vector dimension. */
  readonly dim: number;
  /** Per-row scale `s_i = max_j |v_ij| / 127`, length `rows`. */
  readonly scales: Float32Array;
  /** Quantized values, row-major, length `rows * dim`. */
  readonly q: Int8Array;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function corrupt(message: string): LocalshelfError {
  return new LocalshelfError('MODEL_CORRUPT', `items.lsim: ${message}`);
}

/** Expected byte length of an LSIM file with `rows` rows of `dim` values. */
export function itemMatrixByteLength(rows: number, dim: number): number {
  return LSIM_HEADER_BYTES + 4 * rows + rows * dim;
}

/**
 * Parse an LSIM file. Validates magic, version, header fields, the exact byte length and that every scale is a
 * finite non-negative number. The returned typed arrays view `buf` (no copy) unless the scales are misaligned.
 *
 * @param buf - the whole file (an `ArrayBuffer`, or a view such as a Node `Buffer`).
 * @throws LocalshelfError `MODEL_CORRUPT` when the bytes are not a valid LSIM v1 file.
 */
export function parseItemMatrix(buf: ArrayBuffer | ArrayBufferView): ItemMatrix {
  const buffer = ArrayBuffer.isView(buf) ? buf.buffer : buf;
  const base = ArrayBuffer.isView(buf) ? buf.byteOffset : 0;
  const byteLength = buf.byteLength;
  if (byteLength < LSIM_HEADER_BYTES) {
    throw corrupt(`file is ${byteLength} bytes, shorter than the ${LSIM_HEADER_BYTES}-byte header`);
  }
  const view = new DataView(buffer, base, byteLength);
  const magic = view.getUint32(0, true);
  if (magic !== LSIM_MAGIC) throw corrupt(`bad magic 0x${magic.toString(16).padStart(8, '0')} (expected "LSIM")`);
  const version = view.getUint32(4, true);
  if (version !== LSIM_VERSION) throw corrupt(`unsupported format version ${version} (this engine reads ${LSIM_VERSION})`);
  const rows = view.getUint32(8, true);
  const dim = view.getUint32(12, true);
  if (dim === 0) throw corrupt('dim is 0');
  const expected = itemMatrixByteLength(rows, dim);
  if (byteLength !== expected) {
    throw corrupt(`length ${byteLength} bytes, expected exactly ${expected} for ${rows} rows × ${dim} dims`);
  }

  let scales: Float32Array;
  const scalesOffset = base + LSIM_HEADER_BYTES;
  if (LITTLE_ENDIAN_HOST && scalesOffset % 4 === 0) {
    scales = new Float32Array(buffer as ArrayBuffer, scalesOffset, rows);
  } else {
    scales = new Float32Array(rows);
    for (let i = 0; i < rows; i++) scales[i] = view.getFloat32(LSIM_HEADER_BYTES + 4 * i, true);
  }
  for (let i = 0; i < rows; i++) {
    const s = scales[i]!;
    if (!(s >= 0) || s === Infinity) throw corrupt(`row ${i} has invalid scale ${s}`);
  }
  const q = new Int8Array(buffer as ArrayBuffer, scalesOffset + 4 * rows, rows * dim);
  return { rows, dim, scales, q };
}

/**
 * Quantize float vectors row by row (symmetric, `s_i = max_j |v_ij| / 127`, round to nearest).
 *
 * @param vectors - row-major `[rows, dim]` float vectors.
 * @throws LocalshelfError `INVALID_ARGUMENT` on a size mismatch or a non-finite value.
 */
export function quantizeRows(vectors: Float32Array, rows: number, dim: number): { scales: Float32Array; q: Int8Array } {
  checkShape(vectors, rows, dim);
  const scales = new Float32Array(rows);
  const q = new Int8Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    const o = i * dim;
    let max = 0;
    for (let j = 0; j < dim; j++) {
      const v = vectors[o + j]!;
      if (!Number.isFinite(v)) {
        throw new LocalshelfError('INVALID_ARGUMENT', `vector ${i} has a non-finite value at ${j}`);
      }
      const a = Math.abs(v);
      if (a > max) max = a;
    }
    const s = Math.fround(max / 127);
    scales[i] = s;
    if (s === 0) continue;
    for (let j = 0; j < dim; j++) {
      const r = Math.round(vectors[o + j]! / s);
      q[o + j] = r > 127 ? 127 : r < -127 ? -127 : r;
    }
  }
  return { scales, q };
}

/**
 * Quantize float vectors and write them as an LSIM v1 file.
 *
 * @param vectors - row-major `[rows, dim]` float vectors.
 */
export function encodeItemMatrix(vectors: Float32Array, rows: number, dim: number): ArrayBuffer {
  const { scales, q } = quantizeRows(vectors, rows, dim);
  return serializeItemMatrix({ rows, dim, scales, q });
}

/** Write an already-quantized matrix as an LSIM v1 file. */
export function serializeItemMatrix(matrix: ItemMatrix): ArrayBuffer {
  const { rows, dim } = matrix;
  const out = new ArrayBuffer(itemMatrixByteLength(rows, dim));
  const view = new DataView(out);
  view.setUint32(0, LSIM_MAGIC, true);
  view.setUint32(4, LSIM_VERSION, true);
  view.setUint32(8, rows, true);
  view.setUint32(12, dim, true);
  for (let i = 0; i < rows; i++) view.setFloat32(LSIM_HEADER_BYTES + 4 * i, matrix.scales[i]!, true);
  new Int8Array(out, LSIM_HEADER_BYTES + 4 * rows, rows * dim).set(matrix.q.subarray(0, rows * dim));
  return out;
}

/**
 * Append rows (e.g. items added at run time from their text-only vectors). Returns a new matrix; the input is
 * not modified. New rows get indices `matrix.rows .. matrix.rows + count - 1`.
 *
 * @param vectors - row-major `[count, matrix.dim]` float vectors.
 */
export function appendRows(matrix: ItemMatrix, vectors: Float32Array, count: number): ItemMatrix {
  const added = quantizeRows(vectors, count, matrix.dim);
  const rows = matrix.rows + count;
  const scales = new Float32Array(rows);
  scales.set(matrix.scales.subarray(0, matrix.rows));
  scales.set(added.scales, matrix.rows);
  const q = new Int8Array(rows * matrix.dim);
  q.set(matrix.q.subarray(0, matrix.rows * matrix.dim));
  q.set(added.q, matrix.rows * matrix.dim);
  return { rows, dim: matrix.dim, scales, q };
}

/**
 * Dequantize one row into `out` at `offset` (allocates a `Float32Array(dim)` when `out` is omitted).
 *
 * @throws LocalshelfError `INVALID_ARGUMENT` when `row` is out of range or `out` is too short.
 */
export function dequantizeRow(matrix: ItemMatrix, row: number, out?: Float32Array, offset = 0): Float32Array {
  const { dim, q, scales } = matrix;
  checkRow(matrix, row);
  const dst = out ?? new Float32Array(dim);
  if (offset < 0 || offset + dim > dst.length) {
    throw new LocalshelfError('INVALID_ARGUMENT', `output has no room for ${dim} values at offset ${offset}`);
  }
  const s = scales[row]!;
  const o = row * dim;
  for (let j = 0; j < dim; j++) dst[offset + j] = s * q[o + j]!;
  return dst;
}

/**
 * Dequantize several rows, back to back, into `out` (`rows.length * dim` values from `offset`). A row index of
 * `-1` writes zeros (padding).
 *
 * @throws LocalshelfError `INVALID_ARGUMENT` when a row is out of range or `out` is too short.
 */
export function gatherRows(matrix: ItemMatrix, rows: ArrayLike<number>, out: Float32Array, offset = 0): Float32Array {
  const { dim } = matrix;
  if (offset < 0 || offset + rows.length * dim > out.length) {
    throw new LocalshelfError('INVALID_ARGUMENT', `output has no room for ${rows.length} rows of ${dim}`);
  }
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    if (r === -1) out.fill(0, offset + k * dim, offset + (k + 1) * dim);
    else dequantizeRow(matrix, r, out, offset + k * dim);
  }
  return out;
}

function checkRow(matrix: ItemMatrix, row: number): void {
  if (!Number.isInteger(row) || row < 0 || row >= matrix.rows) {
    throw new LocalshelfError('INVALID_ARGUMENT', `row ${row} is outside the item matrix (0..${matrix.rows - 1})`);
  }
}

function checkShape(vectors: Float32Array, rows: number, dim: number): void {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(dim) || dim <= 0 || vectors.length !== rows * dim) {
    throw new LocalshelfError(
      'INVALID_ARGUMENT',
      `expected ${rows} × ${dim} = ${rows * dim} values, got ${vectors.length}`,
    );
  }
}
