/**
 * The adapter file format (`.lsad`, docs/adapter-format.md): a fixed 12-byte preamble, a JSON header naming
 * every tensor with dtype, shape, offset and length, then 64-byte aligned little-endian payloads. Format version 1
 * holds float32 tensors (LoRA, item bias); version 2 adds int8 / int32 tensors and the item-table update
 * (`items.ts`: replaced rows, new products, removed rows).
 *
 * `parseAdapter` is strict: anything malformed throws `LocalshelfError` with code `ADAPTER_MALFORMED` and a
 * message that starts with a stable reason token ({@link MalformedReason}). Pure: no DOM, no Node APIs.
 */
import { LocalshelfError } from '../../src/errors';
import { canonicalize } from './canonical-json';
import { decodeUtf8Strict, isSha256Hex, utf8 } from './bytes';
import { buildItemUpdate, ITEM_TENSORS, readNewItems, type ItemTableExpectations, type ItemTableUpdate } from './items';
import type { CatalogEntry } from '../runtime/load-model';

/** First four bytes of every adapter file. */
export const ADAPTER_MAGIC = 'LSAD';
/** The format version of LoRA-only files (float32 tensors). */
export const ADAPTER_FORMAT_VERSION = 1;
/** The format version of files with int8 / int32 tensors or an item-table update. */
export const ADAPTER_FORMAT_VERSION_ITEMS = 2;
/** Tensor dtypes and their element sizes; format version 1 knows float32 only. */
const DTYPE_BYTES = { float32: 4, int8: 1, int32: 4 } as const;
/** A tensor's element type. */
export type TensorDtype = keyof typeof DTYPE_BYTES;
/** Alignment of every tensor payload, relative to the payload start (itself 64-byte aligned in the file). */
export const TENSOR_ALIGNMENT = 64;
/** Largest JSON header accepted, bytes. */
export const MAX_HEADER_BYTES = 1 << 20;
/** Name of the optional per-item score bias tensor. */
export const ITEM_BIAS = 'item_bias';
const PREAMBLE = 12;

/** Reason tokens that open every `ADAPTER_MALFORMED` message from {@link parseAdapter}. */
export const MALFORMED_REASONS = [
  'truncated', 'bad-magic', 'unsupported-version', 'bad-header', 'bad-tensor', 'unknown-tensor',
  'duplicate-tensor', 'shape-mismatch', 'missing-pair', 'misaligned', 'out-of-bounds', 'overlap',
  'trailing-bytes', 'non-finite', 'bad-item-rows', 'duplicate-item',
] as const;
/** Why an adapter file was rejected. */
export type MalformedReason = (typeof MALFORMED_REASONS)[number];

/** One adapted projection of the encoder, as `manifest.lora.targets` lists it. */
export interface LoraTarget {
  readonly name: string;
  readonly in: number;
  readonly out: number;
}
/** `manifest.lora`: the rank and the adapted projections. */
export interface LoraSpec {
  readonly rank: number;
  readonly targets: readonly LoraTarget[];
}
/**
 * What a file must fit: the running model's LoRA inputs, catalog size (`item_bias` has `numItems` + new items
 * values) and, for item-table updates, the matrix's dimension, `items.lsim` hash and catalog ids.
 */
export interface AdapterExpectations extends ItemTableExpectations {
  readonly lora: LoraSpec;
}
/** One tensor entry of the header. `offset` is relative to the payload start; `length` is in bytes. */
export interface TensorEntry {
  readonly name: string;
  readonly dtype: TensorDtype;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly length: number;
}
/** The decoded header. */
export interface AdapterHeader {
  readonly adapterVersion: number;
  /** SHA-256 (hex) of the base encoder this adapter fits. */
  readonly baseModel: string;
  readonly rank: number;
  readonly tensors: readonly TensorEntry[];
  /** Free-form provenance (training run, date, data window); strings only. */
  readonly meta?: Readonly<Record<string, string>>;
  /** Item-table updates: sha256 of the base `items.lsim`. */
  readonly baseItems?: string;
  /** Item-table updates: catalog entries of the new products. */
  readonly newItems?: readonly CatalogEntry[];
}
/** A tensor ready to feed: data plus dims. */
export interface AdapterTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}
/**
 * A parsed adapter: the header, a copy of every float32 tensor the encoder or the scorer takes, keyed by name
 * (`lora.<target>.A|B`, `item_bias`), and the item-table update when the file has one.
 */
export interface ParsedAdapter {
  readonly header: AdapterHeader;
  readonly tensors: ReadonlyMap<string, AdapterTensor>;
  readonly items?: ItemTableUpdate;
}
/** Input of {@link encodeAdapter}. */
export interface EncodeAdapterInput {
  readonly adapterVersion: number;
  readonly baseModel: string;
  readonly rank: number;
  readonly tensors: readonly { readonly name: string; readonly dims: readonly number[]; readonly data: Float32Array | Int8Array | Int32Array }[];
  readonly meta?: Readonly<Record<string, string>>;
  /** Item-table updates (format version 2): sha256 of the base `items.lsim`. */
  readonly baseItems?: string;
  /** Item-table updates: catalog entries of the new products (`{ id, title, popularity?, …attributes }`). */
  readonly newItems?: readonly Readonly<Record<string, string | number | boolean>>[];
}

/**
 * Writes an adapter file. Tensors are laid out in the given order, each 64-byte aligned. Throws
 * `INVALID_ARGUMENT` when a tensor's data length disagrees with its dims or a value is NaN/Inf; pass
 * `expectations` to also check the result against a model's LoRA spec (by parsing it back).
 */
export function encodeAdapter(input: EncodeAdapterInput, expectations?: AdapterExpectations): Uint8Array<ArrayBuffer> {
  const entries: TensorEntry[] = [];
  let cursor = 0;
  for (const t of input.tensors) {
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new LocalshelfError('INVALID_ARGUMENT', `tensor ${t.name}: dims [${t.dims.join(',')}] hold ${count} values, data has ${t.data.length}`);
    }
    const dtype: TensorDtype = t.data instanceof Int8Array ? 'int8' : t.data instanceof Int32Array ? 'int32' : 'float32';
    if (dtype === 'float32' && !(t.data as Float32Array).every(Number.isFinite)) throw new LocalshelfError('INVALID_ARGUMENT', `tensor ${t.name} has NaN or Inf`);
    entries.push({ name: t.name, dtype, shape: [...t.dims], offset: cursor, length: count * DTYPE_BYTES[dtype] });
    cursor = align(cursor + count * DTYPE_BYTES[dtype]);
  }
  const items = input.baseItems !== undefined || input.newItems !== undefined;
  const header = {
    adapterVersion: input.adapterVersion, baseModel: input.baseModel, rank: input.rank, tensors: entries,
    ...(input.meta ? { meta: input.meta } : {}),
    ...(input.baseItems !== undefined ? { baseItems: input.baseItems } : {}),
    ...(input.newItems !== undefined ? { newItems: input.newItems } : {}),
  };
  const version = items || entries.some((e) => e.dtype !== 'float32') ? ADAPTER_FORMAT_VERSION_ITEMS : ADAPTER_FORMAT_VERSION;
  const json = utf8(canonicalize(header as unknown as Parameters<typeof canonicalize>[0]));
  const payloadStart = align(PREAMBLE + json.length);
  const last = entries.at(-1);
  const total = payloadStart + (last ? last.offset + last.length : 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(utf8(ADAPTER_MAGIC), 0);
  view.setUint32(4, version, true);
  view.setUint32(8, json.length, true);
  out.set(json, PREAMBLE);
  input.tensors.forEach((t, i) => {
    const e = entries[i]!;
    const base = payloadStart + e.offset;
    if (e.dtype === 'int8') out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length), base);
    else if (e.dtype === 'int32') for (let j = 0; j < t.data.length; j++) view.setInt32(base + 4 * j, t.data[j]!, true);
    else for (let j = 0; j < t.data.length; j++) view.setFloat32(base + 4 * j, t.data[j]!, true);
  });
  if (expectations) parseAdapter(out, expectations);
  return out;
}

/**
 * Parses and checks an adapter file against the running model's LoRA spec. Returns copies of the tensors
 * (never views into `bytes`). Throws `ADAPTER_MALFORMED` for: truncated input, bad magic, unsupported version,
 * an invalid header, unknown, duplicate or unpaired tensor names, shapes that disagree with `expectations`,
 * misaligned, out-of-bounds or overlapping payloads, trailing bytes, NaN or Inf values.
 * It does not check the base-model binding or version against signed metadata: `verify.ts` does.
 */
export function parseAdapter(bytes: Uint8Array, expectations: AdapterExpectations): ParsedAdapter {
  if (bytes.length < PREAMBLE) fail('truncated', `${bytes.length} bytes, the preamble alone is ${PREAMBLE}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  if (magic !== ADAPTER_MAGIC) fail('bad-magic', `expected "${ADAPTER_MAGIC}"`);
  const version = view.getUint32(4, true);
  if (version !== ADAPTER_FORMAT_VERSION && version !== ADAPTER_FORMAT_VERSION_ITEMS) fail('unsupported-version', `format version ${version}`);
  const headerLength = view.getUint32(8, true);
  if (headerLength > MAX_HEADER_BYTES) fail('bad-header', `header length ${headerLength} exceeds ${MAX_HEADER_BYTES}`);
  if (PREAMBLE + headerLength > bytes.length) fail('truncated', `header needs ${headerLength} bytes`);
  const payloadStart = align(PREAMBLE + headerLength);
  if (payloadStart > bytes.length) fail('truncated', 'file ends inside the header padding');
  for (let i = PREAMBLE + headerLength; i < payloadStart; i++) {
    if (bytes[i] !== 0) fail('bad-header', 'header padding is not zero');
  }
  const header = readHeader(bytes.subarray(PREAMBLE, PREAMBLE + headerLength), version);
  if (header.rank !== expectations.lora.rank) fail('shape-mismatch', `rank ${header.rank}, model expects ${expectations.lora.rank}`);
  const newItems = header.newItems ?? [];
  const expectedShapes = shapesFor({ ...expectations, numItems: expectations.numItems + newItems.length });
  const itemNames = new Set<string>(version === ADAPTER_FORMAT_VERSION_ITEMS ? Object.values(ITEM_TENSORS) : []);
  const seen = new Set<string>();
  for (const t of header.tensors) {
    if (seen.has(t.name)) fail('duplicate-tensor', t.name);
    seen.add(t.name);
    const want = expectedShapes.get(t.name);
    if (!want && !itemNames.has(t.name)) fail('unknown-tensor', `${t.name} is not an input of this model`);
    if (want && (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i]))) {
      fail('shape-mismatch', `${t.name} is [${t.shape.join(',')}], model expects [${want.join(',')}]`);
    }
    if (want && t.dtype !== 'float32') fail('bad-tensor', `${t.name}: dtype must be float32`);
    if (t.length !== t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype]) fail('shape-mismatch', `${t.name}: length ${t.length} disagrees with shape`);
    if (t.offset % TENSOR_ALIGNMENT !== 0) fail('misaligned', `${t.name} at offset ${t.offset}`);
    if (payloadStart + t.offset + t.length > bytes.length) fail('out-of-bounds', `${t.name} ends past the end of the file`);
  }
  for (const name of seen) {
    const m = /^lora\.(.+)\.([AB])$/.exec(name);
    if (m && !seen.has(`lora.${m[1]}.${m[2] === 'A' ? 'B' : 'A'}`)) fail('missing-pair', `${name} without its partner`);
  }
  if (header.tensors.length === 0) fail('bad-header', 'no tensors');
  const sorted = [...header.tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    if (sorted[i]!.offset < prev.offset + prev.length) fail('overlap', `${sorted[i]!.name} overlaps ${prev.name}`);
  }
  const end = sorted.reduce((m, t) => Math.max(m, t.offset + t.length), 0);
  if (payloadStart + end !== bytes.length) fail('trailing-bytes', `${bytes.length - payloadStart - end} bytes after the last tensor`);
  const tensors = new Map<string, AdapterTensor>();
  const raw = new Map<string, { data: Int8Array | Int32Array | Float32Array; dims: readonly number[] }>();
  for (const t of header.tensors) {
    const base = payloadStart + t.offset;
    if (t.dtype === 'int8') {
      raw.set(t.name, { data: new Int8Array(bytes.slice(base, base + t.length).buffer), dims: t.shape });
      continue;
    }
    if (t.dtype === 'int32') {
      const data = new Int32Array(t.length / 4);
      for (let j = 0; j < data.length; j++) data[j] = view.getInt32(base + 4 * j, true);
      raw.set(t.name, { data, dims: t.shape });
      continue;
    }
    const data = new Float32Array(t.length / 4);
    for (let j = 0; j < data.length; j++) {
      const v = view.getFloat32(base + 4 * j, true);
      if (!Number.isFinite(v)) fail('non-finite', `${t.name}[${j}] is ${v}`);
      data[j] = v;
    }
    if (itemNames.has(t.name)) raw.set(t.name, { data, dims: t.shape });
    else tensors.set(t.name, { data, dims: t.shape });
  }
  const items = buildItemUpdate(raw, { baseItems: header.baseItems, newItems }, expectations, fail);
  return { header, tensors, ...(items ? { items } : {}) };
}

/** Every tensor name a model accepts with its shape: `lora.<t>.A` [r,in], `lora.<t>.B` [out,r], `item_bias` [N]. */
export function shapesFor(expectations: AdapterExpectations): Map<string, readonly number[]> {
  const { rank, targets } = expectations.lora;
  const shapes = new Map<string, readonly number[]>();
  for (const t of targets) {
    shapes.set(`lora.${t.name}.A`, [rank, t.in]);
    shapes.set(`lora.${t.name}.B`, [t.out, rank]);
  }
  shapes.set(ITEM_BIAS, [expectations.numItems]);
  return shapes;
}

function readHeader(raw: Uint8Array, version: number): AdapterHeader {
  let h: unknown;
  try {
    h = JSON.parse(decodeUtf8Strict(raw));
  } catch {
    fail('bad-header', 'header is not UTF-8 JSON');
  }
  if (!isObject(h)) fail('bad-header', 'header must be an object');
  if (!isPositiveInt(h.adapterVersion)) fail('bad-header', 'adapterVersion must be a positive integer');
  if (!isSha256Hex(h.baseModel)) fail('bad-header', 'baseModel must be a sha256 hex');
  if (!isPositiveInt(h.rank)) fail('bad-header', 'rank must be a positive integer');
  if (h.meta !== undefined && !(isObject(h.meta) && Object.values(h.meta).every((v) => typeof v === 'string'))) {
    fail('bad-header', 'meta must map strings to strings');
  }
  if (!Array.isArray(h.tensors)) fail('bad-header', 'tensors must be an array');
  const tensors = h.tensors.map((t: unknown, i: number): TensorEntry => {
    if (!isObject(t) || typeof t.name !== 'string') fail('bad-tensor', `tensors[${i}] needs a name`);
    const dtypes = version === ADAPTER_FORMAT_VERSION ? ['float32'] : Object.keys(DTYPE_BYTES);
    if (typeof t.dtype !== 'string' || !dtypes.includes(t.dtype)) fail('bad-tensor', `${t.name}: dtype must be ${dtypes.join(' or ')}`);
    if (!Array.isArray(t.shape) || !t.shape.every(isPositiveInt)) fail('bad-tensor', `${t.name}: bad shape`);
    if (!isNonNegativeInt(t.offset) || !isNonNegativeInt(t.length)) fail('bad-tensor', `${t.name}: bad offset or length`);
    return { name: t.name, dtype: t.dtype as TensorDtype, shape: t.shape as number[], offset: t.offset, length: t.length };
  });
  if (version === ADAPTER_FORMAT_VERSION && (h.baseItems !== undefined || h.newItems !== undefined)) {
    fail('bad-header', 'baseItems and newItems need format version 2');
  }
  const newItems = readNewItems(h.newItems, fail);
  return {
    adapterVersion: h.adapterVersion, baseModel: h.baseModel, rank: h.rank, tensors,
    ...(h.meta !== undefined ? { meta: h.meta as Record<string, string> } : {}),
    ...(h.baseItems !== undefined ? { baseItems: h.baseItems as string } : {}),
    ...(h.newItems !== undefined ? { newItems } : {}),
  };
}

function align(n: number): number {
  return Math.ceil(n / TENSOR_ALIGNMENT) * TENSOR_ALIGNMENT;
}
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isPositiveInt(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 1;
}
function isNonNegativeInt(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}
function fail(reason: MalformedReason, detail: string): never {
  throw new LocalshelfError('ADAPTER_MALFORMED', `${reason}: ${detail}`);
}
