/** The `.lsad` adapter format: round trip and every rejection with its reason token. */
import { describe, expect, it } from 'vitest';
import { isLocalshelfError } from '../../../src/errors';
import { randomAdapterInput, seededRandom } from '../../../tools/lib/random-adapter';
import { canonicalize } from '../../../workers/adapters/canonical-json';
import { encodeAdapter, parseAdapter, TENSOR_ALIGNMENT, type AdapterHeader } from '../../../workers/adapters/format';
import { MODEL } from './channel-fixture';

const input = (seed = 1, itemBias = true) => randomAdapterInput(MODEL, 3, seededRandom(seed), { itemBias });

/** Rebuilds a file with a hand-edited header, keeping the payload bytes. */
function withHeader(bytes: Uint8Array, edit: (h: AdapterHeader & Record<string, unknown>) => unknown): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const hlen = view.getUint32(8, true);
  const payloadStart = Math.ceil((12 + hlen) / TENSOR_ALIGNMENT) * TENSOR_ALIGNMENT;
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen)));
  const json = new TextEncoder().encode(canonicalize(edit(header) ?? header));
  const start = Math.ceil((12 + json.length) / TENSOR_ALIGNMENT) * TENSOR_ALIGNMENT;
  const out = new Uint8Array(start + bytes.length - payloadStart);
  out.set(bytes.subarray(0, 12));
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(bytes.subarray(payloadStart), start);
  return out;
}

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(isLocalshelfError(error, 'ADAPTER_MALFORMED'), String(error)).toBe(true);
    return (error as Error).message.split(':')[0]!;
  }
  throw new Error('expected ADAPTER_MALFORMED');
}

describe('adapter format', () => {
  it('round-trips tensors exactly, 64-byte aligned, with copies not views', () => {
    const src = input();
    const bytes = encodeAdapter(src, MODEL);
    const parsed = parseAdapter(bytes, MODEL);
    expect(parsed.header.adapterVersion).toBe(3);
    expect(parsed.header.baseModel).toBe(MODEL.baseModel);
    expect([...parsed.tensors.keys()]).toEqual(src.tensors.map((t) => t.name));
    for (const t of src.tensors) {
      const got = parsed.tensors.get(t.name)!;
      expect(got.dims).toEqual(t.dims);
      expect(got.data).toEqual(t.data);
      expect(got.data.buffer).not.toBe(bytes.buffer);
    }
    for (const e of parsed.header.tensors) expect(e.offset % TENSOR_ALIGNMENT).toBe(0);
    expect(parsed.tensors.get('lora.block0.ffn.1.B')!.dims).toEqual([16, 2]);
  });

  it('accepts a subset of targets (the engine feeds zeros for the rest) and no item_bias', () => {
    const src = input(2, false);
    const only = { ...src, tensors: src.tensors.filter((t) => t.name.startsWith('lora.block0.attn.q.')) };
    expect([...parseAdapter(encodeAdapter(only), MODEL).tensors.keys()]).toEqual(['lora.block0.attn.q.A', 'lora.block0.attn.q.B']);
  });

  it('refuses to encode NaN or a data length that disagrees with dims', () => {
    const src = input();
    const bad = { ...src, tensors: [{ ...src.tensors[0]!, data: new Float32Array(src.tensors[0]!.data.length).fill(NaN) }] };
    expect(() => encodeAdapter(bad)).toThrow(/NaN/);
    const short = { ...src, tensors: [{ ...src.tensors[0]!, data: new Float32Array(3) }] };
    expect(() => encodeAdapter(short)).toThrow(/dims/);
  });

  const good = encodeAdapter(input(), MODEL);
  const cases: [string, () => Uint8Array, string][] = [
    ['truncated preamble', () => good.subarray(0, 7), 'truncated'],
    ['truncated header', () => good.subarray(0, 40), 'truncated'],
    ['truncated payload', () => good.subarray(0, good.length - 4), 'out-of-bounds'],
    ['bad magic', () => Object.assign(good.slice(), { 0: 0x58 }), 'bad-magic'],
    ['unsupported version', () => { const b = good.slice(); b[4] = 3; return b; }, 'unsupported-version'],
    ['header not JSON', () => { const b = good.slice(); b[12] = 0x7b + 1; return b; }, 'bad-header'],
    ['trailing bytes', () => new Uint8Array([...good, 0, 0, 0, 0]), 'trailing-bytes'],
    ['non-zero header padding', () => { const b = good.slice(); const h = new DataView(b.buffer).getUint32(8, true); if ((12 + h) % 64 === 0) throw new Error('no padding'); b[12 + h] = 1; return b; }, 'bad-header'],
    ['duplicate name', () => withHeader(good, (h) => ({ ...h, tensors: [...h.tensors, { ...h.tensors[0]! }] })), 'duplicate-tensor'],
    ['unknown tensor', () => withHeader(good, (h) => ({ ...h, tensors: h.tensors.map((t, i) => (i === 0 ? { ...t, name: 'lora.block9.attn.q.A' } : t)) })), 'unknown-tensor'],
    ['wrong shape', () => withHeader(good, (h) => ({ ...h, tensors: h.tensors.map((t, i) => (i === 0 ? { ...t, shape: [8, 2] } : t)) })), 'shape-mismatch'],
    ['wrong rank', () => withHeader(good, (h) => ({ ...h, rank: 4 })), 'shape-mismatch'],
    ['unpaired A', () => withHeader(good, (h) => ({ ...h, tensors: h.tensors.filter((t) => t.name !== 'lora.block0.attn.v.B') })), 'missing-pair'],
    ['misaligned', () => withHeader(good, (h) => ({ ...h, tensors: h.tensors.map((t, i) => (i === 1 ? { ...t, offset: t.offset + 4 } : t)) })), 'misaligned'],
    ['overlap', () => withHeader(good, (h) => ({ ...h, tensors: h.tensors.map((t, i) => (i === 1 ? { ...t, offset: 0 } : t)) })), 'overlap'],
    ['out of bounds', () => withHeader(good, (h) => ({ ...h, tensors: h.tensors.map((t, i) => (i === 0 ? { ...t, offset: 1 << 20 } : t)) })), 'out-of-bounds'],
    ['float64 dtype', () => withHeader(good, (h) => ({ ...h, tensors: h.tensors.map((t, i) => (i === 0 ? { ...t, dtype: 'float64' } : t)) })), 'bad-tensor'],
    ['bad base model', () => withHeader(good, (h) => ({ ...h, baseModel: 'A'.repeat(64) })), 'bad-header'],
    ['no tensors', () => encodeAdapter({ ...input(), tensors: [] }), 'bad-header'],
    ['item_bias of the wrong catalog size', () => withHeader(good, (h) => ({ ...h, tensors: h.tensors.map((t) => (t.name === 'item_bias' ? { ...t, shape: [15] } : t)) })), 'shape-mismatch'],
  ];
  it.each(cases)('rejects %s', (_name, make, want) => {
    expect(reason(() => parseAdapter(make(), MODEL))).toBe(want);
  });

  it('rejects NaN and Inf payload values', () => {
    for (const bits of [0x7fc00000, 0x7f800000, 0xff800000]) {
      const b = good.slice();
      const view = new DataView(b.buffer);
      const h = view.getUint32(8, true);
      view.setUint32(Math.ceil((12 + h) / 64) * 64 + 8, bits, true);
      expect(reason(() => parseAdapter(b, MODEL))).toBe('non-finite');
    }
  });

  it('rejects a file for a model with another LoRA spec', () => {
    const other = { ...MODEL, lora: { rank: 2, targets: [{ name: 'block0.attn.q', in: 16, out: 16 }] } };
    expect(reason(() => parseAdapter(good, other))).toBe('shape-mismatch');
  });
});
