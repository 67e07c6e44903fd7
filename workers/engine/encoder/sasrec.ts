/**
 * The history encoder without onnxruntime: the pre-LN SASRec encoder of training/model.py, run from the weights of
 * the model folder's LoRA-free int8 graph (`files.encoderBase`), as its `localshelf.encoder` metadata entry
 * describes them (training/strip_lora.py; format 2 adds each block's attention bias by query-key distance). The
 * projections, the attention, GELU, LayerNorm and the residual adds run in this module's WebAssembly SIMD kernel
 * (../simd/encoder.wat); JavaScript builds the input rows and calls it.
 *
 * Same function as the ONNX graph, computed with less work:
 * - only the history's own positions: the graph pads every history to `maxLen` and masks the padding, which no
 *   real position can see (positions count from the most recent event), so leaving it out changes nothing;
 * - the last block only for the last position (its output is the user vector), apart from the keys and values
 *   that position attends to;
 * - int8 weights dequantized once at load (the graph dequantizes on every run), and LoRA folded into them when an
 *   adapter is applied (`W + (B·A)ᵀ`, the same product as the graph's `(x·Aᵀ)·Bᵀ` term).
 * The float32 sums run in another order than onnxruntime's, so user vectors differ by rounding (~1e-6); the tests
 * hold it to onnxruntime's output and top-10 on real histories.
 *
 * Pure compute: no DOM, no worker APIs; runs in Node and in a worker.
 */
import { LocalshelfError } from '../../../src/errors';
import type { EventTypeId, HistoryEvent } from '../encoder-input';
import { dequantizeRow, type ItemMatrix } from '../item-matrix';
import { loadKernel } from '../simd/load-kernel';
import { ENCODER_WASM_BASE64 } from '../simd/encoder-wasm';
import { ONNX_FLOAT, ONNX_INT8, readOnnxWeights, type OnnxTensor } from './onnx-weights';

/** The metadata key of the description, and the one format this encoder runs. */
export const ENCODER_SPEC_KEY = 'localshelf.encoder';
export const ENCODER_SPEC_FORMAT = 'localshelf-sasrec/1';
/** The same encoder with a learned attention bias by query-key distance in every block (`BlockSpec.rel`). */
export const ENCODER_SPEC_FORMAT_REL = 'localshelf-sasrec/2';

const ROLES = ['q', 'k', 'v', 'out', 'fc1', 'fc2'] as const;
type Role = (typeof ROLES)[number];
/** LoRA target names as the adapter files and the full graph's inputs spell them (`lora.<target>.A`). */
const LORA_TARGET: Record<Role, string> = { q: 'attn.q', k: 'attn.k', v: 'attn.v', out: 'attn.out', fc1: 'ffn.fc1', fc2: 'ffn.fc2' };

interface NormSpec {
  weight: string;
  bias: string;
}
interface LinearSpec {
  q: string;
  scale: string;
  bias: string;
  in: number;
  out: number;
}
/** `rel` (format 2 only): the block's float32 `[maxLen]` attention bias for a key `d` steps before its query. */
type BlockSpec = { ln1: NormSpec; ln2: NormSpec; rel?: string } & Record<Role, LinearSpec>;

/** The `localshelf.encoder` entry (training/strip_lora.py `describe`). */
export interface EncoderSpec {
  format: string;
  dim: number;
  maxLen: number;
  heads: number;
  ffnDim: number;
  eps: number;
  inputScale: number;
  attentionScale: number;
  activation: string;
  pos: string;
  event: string;
  final: NormSpec;
  blocks: BlockSpec[];
}

/** Why a graph cannot run here (the engine then runs it in onnxruntime). */
export class EncoderUnsupported extends Error {}

/** A LoRA pair as the adapter channel delivers it: `A` [rank, in], `B` [out, rank]. */
export interface LoraPair {
  a: Float32Array;
  b: Float32Array;
  rank: number;
}

/** A LayerNorm's weight and bias: byte offsets in the kernel's memory. */
interface Norm {
  w: number;
  b: number;
}
interface Linear {
  in: number;
  out: number;
  /** The dequantized base weight [in, out]: kept to fold LoRA again from it. */
  base: Float32Array;
  /** Byte offsets of the weight in use and the bias in the kernel's memory. */
  w: number;
  bias: number;
}
interface Block {
  ln1: Norm;
  ln2: Norm;
  lin: Record<Role, Linear>;
  /** Byte offset of the block's attention bias by distance (`maxLen` floats; zeros for a graph without one). */
  rel: number;
}

interface KernelExports {
  memory: WebAssembly.Memory;
  linear(x: number, rows: number, inDim: number, w: number, outDim: number, bias: number, y: number): void;
  attend(q: number, k: number, v: number, n: number, first: number, dim: number, dh: number, scale: number, z: number, s: number, rel: number): void;
  gelu(x: number, count: number): void;
  layernorm(x: number, rows: number, dim: number, w: number, b: number, eps: number, y: number): void;
  add(x: number, y: number, count: number): void;
}

function spec(metadata: Map<string, string>): EncoderSpec {
  const raw = metadata.get(ENCODER_SPEC_KEY);
  if (raw === undefined) throw new EncoderUnsupported(`the graph has no ${ENCODER_SPEC_KEY} description`);
  let s: EncoderSpec;
  try {
    s = JSON.parse(raw) as EncoderSpec;
  } catch {
    throw new EncoderUnsupported(`the ${ENCODER_SPEC_KEY} description is not JSON`);
  }
  if (s.format !== ENCODER_SPEC_FORMAT && s.format !== ENCODER_SPEC_FORMAT_REL) {
    throw new EncoderUnsupported(`description format ${JSON.stringify(s.format)} is not ${ENCODER_SPEC_FORMAT} or ${ENCODER_SPEC_FORMAT_REL}`);
  }
  if (s.activation !== 'gelu-erf') throw new EncoderUnsupported(`activation ${JSON.stringify(s.activation)}`);
  const int = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (!int(s.dim) || !int(s.maxLen) || !int(s.heads) || !int(s.ffnDim) || !Array.isArray(s.blocks) || s.blocks.length === 0) {
    throw new EncoderUnsupported('the description lacks dim, maxLen, heads, ffnDim or blocks');
  }
  const withRel = s.format === ENCODER_SPEC_FORMAT_REL;
  if (s.blocks.some((b) => (typeof b.rel === 'string') !== withRel)) {
    throw new EncoderUnsupported(`format ${s.format}: ${withRel ? 'every block needs' : 'no block may have'} a rel table`);
  }
  const dh = s.dim / s.heads;
  if (s.dim % 16 !== 0 || s.ffnDim % 16 !== 0 || !Number.isInteger(dh) || dh % 4 !== 0) {
    throw new EncoderUnsupported(`dim ${s.dim}, ffnDim ${s.ffnDim}, heads ${s.heads}: the kernel needs multiples of 16 and a head width that is a multiple of 4`);
  }
  return s;
}

/**
 * The encoder, ready to run: one per model (its kernel instance holds the weights and the work buffers).
 * Build with {@link SasrecEncoder.fromOnnx}; `encode` is synchronous and allocates nothing but its result.
 */
export class SasrecEncoder {
  readonly dim: number;
  readonly maxLen: number;
  readonly heads: number;
  readonly ffnDim: number;
  readonly #spec: EncoderSpec;
  readonly #k: KernelExports;
  readonly #f32: Float32Array;
  readonly #pos: Float32Array;
  readonly #event: Float32Array;
  readonly #final: Norm;
  readonly #blocks: Block[];
  /** Byte offsets of the work buffers. */
  readonly #buf: { x: number; y: number; q: number; k: number; v: number; z: number; h: number; o: number; s: number };
  #loraActive = false;

  private constructor(s: EncoderSpec, weights: Map<string, OnnxTensor>, module: WebAssembly.Module) {
    this.#spec = s;
    this.dim = s.dim;
    this.maxLen = s.maxLen;
    this.heads = s.heads;
    this.ffnDim = s.ffnDim;
    const floats = (name: string, count: number): Float32Array => {
      const t = weights.get(name);
      if (!t || t.dataType !== ONNX_FLOAT || !(t.values instanceof Float32Array) || t.values.length !== count) {
        throw new EncoderUnsupported(`${name}: no float32 initializer of ${count} values`);
      }
      return t.values;
    };
    const norms: [number, Float32Array][] = []; // written into the kernel's memory once it is sized
    let top = 0;
    const take = (floatCount: number): number => {
      const at = top;
      top += Math.ceil((floatCount * 4) / 16) * 16;
      return at;
    };
    const norm = (n: NormSpec): Norm => {
      const w = take(s.dim);
      const b = take(s.dim);
      norms.push([w, floats(n.weight, s.dim)], [b, floats(n.bias, s.dim)]);
      return { w, b };
    };
    this.#pos = floats(s.pos, s.maxLen * s.dim);
    const event = weights.get(s.event);
    if (!event?.values || event.dataType !== ONNX_FLOAT || event.dims.length !== 2 || event.dims[1] !== s.dim || event.dims[0]! < 5) {
      throw new EncoderUnsupported(`${s.event}: no event table of width ${s.dim}`);
    }
    this.#event = event.values as Float32Array;
    this.#final = norm(s.final);

    // memory: the norms, every weight and bias, then the work buffers; all 16-byte aligned
    const blockNorms = s.blocks.map((b) => ({ ln1: norm(b.ln1), ln2: norm(b.ln2) }));
    const layout = s.blocks.map((b) =>
      Object.fromEntries(
        ROLES.map((role) => {
          const l = b[role];
          const [i, o] = role === 'fc1' ? [s.dim, s.ffnDim] : role === 'fc2' ? [s.ffnDim, s.dim] : [s.dim, s.dim];
          if (l.in !== i || l.out !== o) throw new EncoderUnsupported(`${role}: ${l.in}x${l.out}, expected ${i}x${o}`);
          return [role, { w: take(i * o), bias: take(o) }];
        }),
      ) as Record<Role, { w: number; bias: number }>,
    );
    // the attention bias by distance of each block (spec(): every block has one, or none does); a graph without it
    // points every block at one table left as the fresh memory's zeros
    const zeroRel = s.format === ENCODER_SPEC_FORMAT_REL ? -1 : take(s.maxLen);
    const rels = s.blocks.map((b) => (b.rel === undefined ? zeroRel : take(s.maxLen)));
    const rows = s.maxLen;
    const wide = Math.max(s.dim, s.ffnDim);
    this.#buf = {
      x: take(rows * s.dim),
      y: take(rows * s.dim),
      q: take(rows * s.dim),
      k: take(rows * s.dim),
      v: take(rows * s.dim),
      z: take(rows * s.dim),
      h: take(rows * wide),
      o: take(rows * s.dim),
      s: take(rows),
    };
    const instance = new WebAssembly.Instance(module, {});
    this.#k = instance.exports as unknown as KernelExports;
    const pagesNeeded = Math.ceil(top / 65536);
    const have = this.#k.memory.buffer.byteLength / 65536;
    if (pagesNeeded > have) this.#k.memory.grow(pagesNeeded - have);
    this.#f32 = new Float32Array(this.#k.memory.buffer);
    for (const [at, values] of norms) this.#f32.set(values, at / 4);
    s.blocks.forEach((b, bi) => b.rel !== undefined && this.#f32.set(floats(b.rel, s.maxLen), rels[bi]! / 4));

    this.#blocks = s.blocks.map((b, bi) => {
      const lin = {} as Record<Role, Linear>;
      for (const role of ROLES) {
        const l = b[role];
        const q = weights.get(l.q);
        if (!q || q.dataType !== ONNX_INT8 || !(q.values instanceof Int8Array) || q.values.length !== l.in * l.out) {
          throw new EncoderUnsupported(`${l.q}: no int8 weight of ${l.in}x${l.out}`);
        }
        const scale = floats(l.scale, l.out);
        const base = new Float32Array(l.in * l.out);
        for (let r = 0; r < l.in; r++) for (let c = 0; c < l.out; c++) base[r * l.out + c] = q.values[r * l.out + c]! * scale[c]!;
        const at = layout[bi]![role];
        this.#f32.set(base, at.w / 4);
        this.#f32.set(floats(l.bias, l.out), at.bias / 4);
        lin[role] = { in: l.in, out: l.out, base, w: at.w, bias: at.bias };
      }
      return { ...blockNorms[bi]!, lin, rel: rels[bi]! };
    });
  }

  /**
   * The encoder for a graph's bytes (the LoRA-free `encoder.base.int8.onnx` of a model folder).
   * @throws EncoderUnsupported when the graph carries no description this encoder runs, or WebAssembly SIMD is
   *   unavailable (the engine then runs the graph in onnxruntime).
   */
  static fromOnnx(bytes: Uint8Array): SasrecEncoder {
    const module = loadKernel(ENCODER_WASM_BASE64);
    if (!module) throw new EncoderUnsupported('WebAssembly SIMD is not available');
    let read;
    try {
      read = readOnnxWeights(bytes);
    } catch (cause) {
      throw new EncoderUnsupported(`the graph could not be read: ${(cause as Error).message}`);
    }
    try {
      return new SasrecEncoder(spec(read.metadata), read.initializers, module);
    } catch (cause) {
      // whatever stops it here (an odd tensor, memory that will not grow), onnxruntime runs the graph instead
      if (cause instanceof EncoderUnsupported) throw cause;
      throw new EncoderUnsupported(`the own encoder could not start: ${(cause as Error)?.message ?? String(cause)}`);
    }
  }

  /** LoRA target names of this encoder (`block0.attn.q`, …), as adapters name them. */
  get loraTargets(): string[] {
    return this.#spec.blocks.flatMap((_, b) => ROLES.map((r) => `block${b}.${LORA_TARGET[r]}`));
  }

  /**
   * Folds LoRA pairs into the weights (`lora(target)` returns the pair for `block0.attn.q`, …, or undefined for
   * none); `undefined` restores the base weights. Takes effect for the next `encode`.
   * @throws LocalshelfError `INVALID_ARGUMENT` for a pair whose shape does not fit its projection.
   */
  setLora(lora: ((target: string) => LoraPair | undefined) | undefined): void {
    if (!lora && !this.#loraActive) return;
    // check every pair before writing any, so a bad one leaves the weights as they were
    const pairs = this.#blocks.map((blk, b) =>
      ROLES.map((role) => {
        const pair = lora?.(`block${b}.${LORA_TARGET[role]}`);
        const l = blk.lin[role];
        if (pair && (pair.a.length !== pair.rank * l.in || pair.b.length !== l.out * pair.rank)) {
          throw new LocalshelfError('INVALID_ARGUMENT', `LoRA block${b}.${LORA_TARGET[role]}: A ${pair.a.length} / B ${pair.b.length} values do not fit rank ${pair.rank}, ${l.in}x${l.out}`);
        }
        return pair;
      }),
    );
    let any = false;
    this.#blocks.forEach((blk, b) =>
      ROLES.forEach((role, ri) => {
        const l = blk.lin[role];
        const w = this.#f32.subarray(l.w / 4, l.w / 4 + l.in * l.out);
        w.set(l.base);
        const pair = pairs[b]![ri];
        if (!pair) return;
        any = true;
        const { a, b: bm, rank } = pair;
        for (let i = 0; i < l.in; i++) {
          for (let o = 0; o < l.out; o++) {
            let d = 0;
            for (let r = 0; r < rank; r++) d += a[r * l.in + i]! * bm[o * rank + r]!;
            w[i * l.out + o]! += d;
          }
        }
      }),
    );
    this.#loraActive = any;
  }

  /**
   * The user vector of a history (most recent event last; the last `maxLen` count), as the graph's
   * `user_vector`.
   * @throws LocalshelfError `INVALID_ARGUMENT` for an empty history, an unknown row or event type.
   */
  encode(matrix: ItemMatrix, history: readonly HistoryEvent[]): Float32Array {
    const { dim, maxLen } = this;
    if (matrix.dim !== dim) throw new LocalshelfError('INVALID_ARGUMENT', `item matrix dim ${matrix.dim} differs from the encoder's ${dim}`);
    const n = Math.min(history.length, maxLen);
    if (n === 0) throw new LocalshelfError('INVALID_ARGUMENT', 'the encoder needs at least one event');
    const f = this.#f32;
    const B = this.#buf;
    const x = B.x / 4;
    const start = history.length - n;
    const s = this.#spec;
    for (let t = 0; t < n; t++) {
      const e = history[start + t]!;
      const type: EventTypeId = e.type;
      if (type !== 1 && type !== 2 && type !== 3 && type !== 4) throw new LocalshelfError('INVALID_ARGUMENT', `event type ${String(type)} is not one of 1, 2, 3, 4`);
      const at = x + t * dim;
      dequantizeRow(matrix, e.row, f, at);
      const ev = type * dim;
      const p = (maxLen - n + t) * dim;
      for (let c = 0; c < dim; c++) f[at + c] = (f[at + c]! + this.#event[ev + c]!) * s.inputScale + this.#pos[p + c]!;
    }
    const dh = dim / this.heads;
    const last = this.#blocks.length - 1;
    this.#blocks.forEach((blk, b) => {
      const first = b === last ? n - 1 : 0;
      const m = n - first;
      this.#norm(B.x, B.y, n, blk.ln1);
      const { q, k, v, out, fc1, fc2 } = blk.lin;
      this.#k.linear(B.y, n, dim, k.w, dim, k.bias, B.k);
      this.#k.linear(B.y, n, dim, v.w, dim, v.bias, B.v);
      this.#k.linear(B.y + first * dim * 4, m, dim, q.w, dim, q.bias, B.q);
      this.#k.attend(B.q, B.k, B.v, n, first, dim, dh, s.attentionScale, B.z, B.s, blk.rel);
      this.#k.linear(B.z, m, dim, out.w, dim, out.bias, B.o);
      this.#k.add(B.x + first * dim * 4, B.o, m * dim);
      this.#norm(B.x + first * dim * 4, B.y, m, blk.ln2);
      this.#k.linear(B.y, m, dim, fc1.w, this.ffnDim, fc1.bias, B.h);
      this.#k.gelu(B.h, m * this.ffnDim);
      this.#k.linear(B.h, m, this.ffnDim, fc2.w, dim, fc2.bias, B.o);
      this.#k.add(B.x + first * dim * 4, B.o, m * dim);
    });
    const result = new Float32Array(dim);
    this.#norm(B.x + (n - 1) * dim * 4, B.y, 1, this.#final);
    result.set(f.subarray(B.y / 4, B.y / 4 + dim));
    return result;
  }

  /** LayerNorm of `rows` rows at byte offset `from` into `to`. */
  #norm(from: number, to: number, rows: number, p: Norm): void {
    this.#k.layernorm(from, rows, this.dim, p.w, p.b, this.#spec.eps, to);
  }

}
