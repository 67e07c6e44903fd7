/**
 * Property test of `parseAdapter`: seeded random mutations and truncations of valid files (LoRA-only and
 * item-table updates). Whatever the input, the parser either throws `LocalshelfError` `ADAPTER_MALFORMED` (or
 * `ADAPTER_BASE_MISMATCH` when the mutation hit the items.lsim hash), or returns tensors that agree with the file's
 * own header (names, shapes, bytes at the declared offsets, bounds, no overlap, finite values, increasing rows).
 */
import { describe, expect, it } from 'vitest';
import { isLocalshelfError } from '../../../src/errors';
import { randomAdapterInput, seededRandom } from '../../../tools/lib/random-adapter';
import { encodeAdapter, parseAdapter, shapesFor, type ParsedAdapter } from '../../../workers/adapters/format';
import { MODEL } from './channel-fixture';

const RUNS = 20_000;

type Mutation = (b: Uint8Array, r: () => number) => Uint8Array;
const int = (r: () => number, n: number): number => Math.floor(r() * n);

/** Re-encodes the header after a random structural edit (keeps the payload), to reach the deeper checks. */
const editHeader: Mutation = (b, r) => {
  if (b.length < 12) return b;
  const view = new DataView(b.buffer, b.byteOffset);
  const hlen = view.getUint32(8, true);
  let header: { tensors: Record<string, unknown>[]; [k: string]: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(b.subarray(12, 12 + hlen)));
    if (!Array.isArray(header.tensors) || header.tensors.length === 0) return b;
  } catch {
    return b;
  }
  const t = header.tensors[int(r, header.tensors.length)]!;
  const other = header.tensors[int(r, header.tensors.length)]!;
  const edits = [
    () => (t.offset = (t.offset as number) + (int(r, 3) - 1) * 64),
    () => (t.offset = int(r, 4096)),
    () => (t.length = int(r, 4096)),
    () => (t.shape = [int(r, 20), int(r, 20)]),
    () => (t.name = other.name),
    () => (t.offset = other.offset),
    () => (t.dtype = 'float16'),
    () => header.tensors.splice(int(r, header.tensors.length), 1),
    () => header.tensors.push({ ...t }),
    () => (header.rank = int(r, 4)),
    () => (header.adapterVersion = int(r, 3) - 1),
  ];
  edits[int(r, edits.length)]!();
  const json = new TextEncoder().encode(JSON.stringify(header));
  const oldStart = Math.ceil((12 + hlen) / 64) * 64;
  const start = Math.ceil((12 + json.length) / 64) * 64;
  const out = new Uint8Array(start + Math.max(0, b.length - oldStart));
  out.set(b.subarray(0, 12));
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(b.subarray(oldStart), start);
  return out;
};

const MUTATIONS: Mutation[] = [
  (b, r) => b.subarray(0, int(r, b.length)),
  (b, r) => {
    const out = b.slice();
    for (let i = 1 + int(r, 8); i > 0; i--) out[int(r, out.length)] = int(r, 256);
    return out;
  },
  (b, r) => {
    if (b.length < 12) return b;
    const out = b.slice();
    new DataView(out.buffer).setUint32(4 * int(r, 3), r() < 0.5 ? int(r, 1 << 20) : 0xffffffff, true);
    return out;
  },
  (b, r) => new Uint8Array([...b, ...Array.from({ length: 1 + int(r, 128) }, () => int(r, 256))]),
  (b, r) => {
    const at = int(r, b.length);
    return new Uint8Array([...b.subarray(0, at), ...Array.from({ length: 1 + int(r, 16) }, () => int(r, 256)), ...b.subarray(at)]);
  },
  (b, r) => {
    if (b.length < 12) return b;
    const out = b.slice();
    const at = 12 + int(r, new DataView(b.buffer, b.byteOffset).getUint32(8, true));
    out[at] = '{}[],:"0123456789'.charCodeAt(int(r, 17));
    return out;
  },
  (b, r) => {
    if (b.length < 12) return b;
    const out = b.slice();
    const hlen = new DataView(b.buffer, b.byteOffset).getUint32(8, true);
    const start = Math.ceil((12 + hlen) / 64) * 64;
    if (start + 4 > b.length) return b;
    const at = start + 4 * int(r, Math.floor((b.length - start) / 4));
    new DataView(out.buffer).setUint32(at, [0x7fc00000, 0x7f800000, 0xff800000, int(r, 2 ** 32)][int(r, 4)]!, true);
    return out;
  },
  editHeader,
  (_b, r) => Uint8Array.from({ length: int(r, 256) }, () => int(r, 256)),
];

/** Independent check that a successful parse agrees with the bytes it came from. */
function assertAgrees(bytes: Uint8Array, parsed: ParsedAdapter): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = Math.ceil((12 + view.getUint32(8, true)) / 64) * 64;
  const m = parsed.header.newItems?.length ?? 0;
  const shapes = shapesFor({ ...MODEL, numItems: MODEL.numItems + m });
  const itemEntries = parsed.header.tensors.filter((e) => e.name.startsWith('items.'));
  expect(parsed.tensors.size).toBe(parsed.header.tensors.length - itemEntries.length);
  const spans: [number, number][] = [];
  for (const entry of parsed.header.tensors) {
    spans.push([entry.offset, entry.offset + entry.length]);
    expect(start + entry.offset + entry.length).toBeLessThanOrEqual(bytes.length);
    if (entry.name.startsWith('items.')) {
      const it = parsed.items!;
      const data = { 'items.rows': it.rows, 'items.q': it.q, 'items.scale': it.scales, 'items.removed': it.removed }[entry.name]!;
      expect(data.length).toBe(entry.shape.reduce((a, b) => a * b, 1));
      for (let j = 0; j < data.length; j++) {
        const at = start + entry.offset;
        const v = entry.dtype === 'int8' ? view.getInt8(at + j) : entry.dtype === 'int32' ? view.getInt32(at + 4 * j, true) : view.getFloat32(at + 4 * j, true);
        if (!Object.is(v, data[j])) throw new Error(`${entry.name}[${j}] disagrees with the file`);
      }
      continue;
    }
    const t = parsed.tensors.get(entry.name)!;
    expect(t, entry.name).toBeDefined();
    expect(t.dims).toEqual(entry.shape);
    expect(t.dims).toEqual(shapes.get(entry.name));
    expect(t.data.length * 4).toBe(entry.length);
    expect(t.data.length).toBe(entry.shape.reduce((a, b) => a * b, 1));
    for (let j = 0; j < t.data.length; j++) {
      const v = view.getFloat32(start + entry.offset + 4 * j, true);
      if (!Number.isFinite(v) || !Object.is(v, t.data[j])) throw new Error(`${entry.name}[${j}] disagrees with the file`);
    }
  }
  if (parsed.items) {
    const { rows, removed, q, scales } = parsed.items;
    expect(q.length).toBe((rows.length + m) * MODEL.dim!);
    expect(scales.length).toBe(rows.length + m);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!).toBeGreaterThan(rows[i - 1]!);
    for (let i = 1; i < removed.length; i++) expect(removed[i]!).toBeGreaterThan(removed[i - 1]!);
    for (const s of scales) expect(s >= 0).toBe(true);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
}

describe('parseAdapter under random mutation', () => {
  it(`${RUNS} mutated files: ADAPTER_MALFORMED or tensors that agree with the header`, () => {
    const r = seededRandom(0xada97e5);
    // half of the seed files are item-table updates (format version 2: int8 / int32 tensors, new products)
    const seeds = Array.from({ length: 8 }, (_, i) =>
      encodeAdapter(randomAdapterInput(MODEL, 1 + i, seededRandom(i), { itemBias: i % 2 === 0, ...(i >= 4 ? { items: { rows: i - 2, newItems: i - 4, removed: 1 } } : {}) }), MODEL),
    );
    let accepted = 0;
    const rejected = new Map<string, number>();
    for (let run = 0; run < RUNS; run++) {
      let bytes: Uint8Array = seeds[int(r, seeds.length)]!;
      for (let k = 1 + int(r, 3); k > 0; k--) bytes = MUTATIONS[int(r, MUTATIONS.length)]!(bytes, r);
      let parsed: ParsedAdapter;
      try {
        parsed = parseAdapter(bytes, MODEL);
      } catch (error) {
        // a mutated baseItems hash is still a hash: the rows then fit another items.lsim
        if (isLocalshelfError(error, 'ADAPTER_BASE_MISMATCH')) {
          rejected.set('base-items', (rejected.get('base-items') ?? 0) + 1);
          continue;
        }
        if (!isLocalshelfError(error, 'ADAPTER_MALFORMED')) throw new Error(`run ${run}: threw ${String(error)}`, { cause: error });
        const reason = (error as Error).message.split(':')[0]!;
        rejected.set(reason, (rejected.get(reason) ?? 0) + 1);
        continue;
      }
      accepted += 1;
      assertAgrees(bytes, parsed);
    }
    // The mutations reach every check, and some mutated files (payload-only edits) are still valid.
    expect(accepted).toBeGreaterThan(100);
    for (const reason of ['truncated', 'bad-magic', 'bad-header', 'bad-tensor', 'duplicate-tensor', 'shape-mismatch',
      'missing-pair', 'misaligned', 'out-of-bounds', 'overlap', 'trailing-bytes', 'non-finite', 'unsupported-version',
      'bad-item-rows']) {
      expect(rejected.get(reason) ?? 0, reason).toBeGreaterThan(0);
    }
  });
});
