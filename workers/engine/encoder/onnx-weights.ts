/**
 * Reads what the engine's own encoder needs from an ONNX file: the initializers (name → dims, type, values) and the
 * model's metadata entries. A few dozen lines of the protobuf wire format (ModelProto → GraphProto → TensorProto),
 * not a general ONNX parser: the nodes are skipped, the description in the `localshelf.encoder` entry says what the
 * graph computes (training/strip_lora.py writes it).
 *
 * Pure compute: no DOM, no worker APIs; runs in Node and in a worker.
 */

/** ONNX TensorProto data types read here. */
export const ONNX_FLOAT = 1;
export const ONNX_INT8 = 3;

export interface OnnxTensor {
  dims: number[];
  dataType: number;
  /** float32 values (FLOAT) or int8 values (INT8); `undefined` for other types. */
  values?: Float32Array | Int8Array;
}

export interface OnnxWeights {
  initializers: Map<string, OnnxTensor>;
  metadata: Map<string, string>;
}

/** Thrown for bytes that are not a well-formed protobuf message of the expected shape. */
export class OnnxFormatError extends Error {}

interface Field {
  field: number;
  wire: number;
  /** varint value (wire 0) */
  value: number;
  /** payload (wire 2) */
  start: number;
  end: number;
}

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OnnxFormatError('truncated varint');
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw new OnnxFormatError('varint longer than 10 bytes');
  }

  next(): Field | undefined {
    if (this.pos >= this.end) return undefined;
    const tag = this.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    const out: Field = { field, wire, value: 0, start: 0, end: 0 };
    if (wire === 0) out.value = this.varint();
    else if (wire === 1) this.skip(8);
    else if (wire === 5) this.skip(4);
    else if (wire === 2) {
      const length = this.varint();
      out.start = this.pos;
      this.skip(length);
      out.end = this.pos;
    } else throw new OnnxFormatError(`wire type ${wire} is not supported`);
    return out;
  }

  skip(n: number): void {
    if (this.pos + n > this.end) throw new OnnxFormatError('field runs past its message');
    this.pos += n;
  }
}

/**
 * The top-level fields of a protobuf message as `[field number, start, end]` byte ranges (tag included), in order:
 * what a tool needs to drop or replace a field without decoding the rest.
 * @throws OnnxFormatError for bytes that are not a well-formed message.
 */
export function protobufFieldRanges(bytes: Uint8Array): [number, number, number][] {
  const r = new Reader(bytes, 0, bytes.length);
  const out: [number, number, number][] = [];
  for (let start = r.pos, f = r.next(); f; start = r.pos, f = r.next()) out.push([f.field, start, r.pos]);
  return out;
}

const utf8 = new TextDecoder();

function text(bytes: Uint8Array, f: Field): string {
  return utf8.decode(bytes.subarray(f.start, f.end));
}

function readTensor(bytes: Uint8Array, start: number, end: number): { name: string; tensor: OnnxTensor } {
  const r = new Reader(bytes, start, end);
  const dims: number[] = [];
  let dataType = 0;
  let name = '';
  let raw: Field | undefined;
  let floats: Field | undefined;
  let ints: number[] | undefined;
  for (let f = r.next(); f; f = r.next()) {
    if (f.field === 1 && f.wire === 0) dims.push(f.value);
    else if (f.field === 1 && f.wire === 2) {
      const packed = new Reader(bytes, f.start, f.end);
      while (packed.pos < packed.end) dims.push(packed.varint());
    } else if (f.field === 2 && f.wire === 0) dataType = f.value;
    else if (f.field === 8 && f.wire === 2) name = text(bytes, f);
    else if (f.field === 9 && f.wire === 2) raw = f;
    else if (f.field === 4 && f.wire === 2) floats = f;
    else if (f.field === 5 && f.wire === 2) {
      const packed = new Reader(bytes, f.start, f.end);
      ints ??= [];
      while (packed.pos < packed.end) ints.push(packed.varint());
    }
  }
  const count = dims.reduce((a, b) => a * b, 1);
  let values: Float32Array | Int8Array | undefined;
  const source = raw ?? floats;
  if (dataType === ONNX_FLOAT && source) {
    if (source.end - source.start !== count * 4) throw new OnnxFormatError(`${name}: ${source.end - source.start} bytes for ${count} floats`);
    values = new Float32Array(count);
    new Uint8Array(values.buffer).set(bytes.subarray(source.start, source.end)); // little-endian, as ONNX stores them
  } else if (dataType === ONNX_INT8 && raw) {
    if (raw.end - raw.start !== count) throw new OnnxFormatError(`${name}: ${raw.end - raw.start} bytes for ${count} int8 values`);
    values = new Int8Array(bytes.slice(raw.start, raw.end).buffer);
  } else if (dataType === ONNX_INT8 && ints) {
    if (ints.length !== count) throw new OnnxFormatError(`${name}: ${ints.length} values for ${count}`);
    values = Int8Array.from(ints, (v) => (v > 0x7fffffff ? v - 2 ** 64 : v)); // int32_data carries sign-extended varints
  }
  return { name, tensor: { dims, dataType, ...(values ? { values } : {}) } };
}

/**
 * The initializers and metadata of an ONNX model file.
 * @throws OnnxFormatError for bytes that are not a protobuf ModelProto with a graph.
 */
export function readOnnxWeights(bytes: Uint8Array): OnnxWeights {
  const initializers = new Map<string, OnnxTensor>();
  const metadata = new Map<string, string>();
  const model = new Reader(bytes, 0, bytes.length);
  let graph = false;
  for (let f = model.next(); f; f = model.next()) {
    if (f.field === 7 && f.wire === 2) {
      graph = true;
      const g = new Reader(bytes, f.start, f.end);
      for (let h = g.next(); h; h = g.next()) {
        if (h.field === 5 && h.wire === 2) {
          const { name, tensor } = readTensor(bytes, h.start, h.end);
          initializers.set(name, tensor);
        }
      }
    } else if (f.field === 14 && f.wire === 2) {
      const e = new Reader(bytes, f.start, f.end);
      let key = '';
      let value = '';
      for (let h = e.next(); h; h = e.next()) {
        if (h.field === 1 && h.wire === 2) key = text(bytes, h);
        else if (h.field === 2 && h.wire === 2) value = text(bytes, h);
      }
      metadata.set(key, value);
    }
  }
  if (!graph) throw new OnnxFormatError('no graph in the model');
  return { initializers, metadata };
}
