/**
 * The recommend() hot path on WebAssembly SIMD: every row of the int8 item matrix against the user vector,
 * 16 multiply-adds per `i32x4.dot_i16x8_s` pair instead of one scalar multiply-add per value in JavaScript.
 * The user vector is quantized to int16 for the kernel (relative error ≤ 1/65534 of its largest value, far
 * below the int8 matrix's own); the sums are exact in int32. Where WebAssembly SIMD is missing, or the
 * dimension is not a multiple of 16, the JavaScript `scoreAll` runs instead: same contract, `kind: 'js'`.
 *
 * Pure compute: no DOM, no worker APIs; runs in Node and in a worker.
 */
import { LocalshelfError } from '../../src/errors';
import type { ItemMatrix } from './item-matrix';
import { scoreAll, topK, type Exclusion, type TopK } from './score';
import { loadKernel } from './simd/load-kernel';
import { SCORER_WASM_BASE64 } from './simd/score-wasm';

/** Which implementation scores: the WebAssembly SIMD kernel, or the plain-JavaScript loop. */
export type ScorerKind = 'wasm-simd' | 'js';

/** Scores a fixed item matrix against user vectors; make a new one when the matrix changes. */
export interface Scorer {
  readonly kind: ScorerKind;
  readonly rows: number;
  /**
   * `out[i] = s_i * Σ_j q_ij u_j (+ bias[i])` for every row. The returned array is the scorer's own buffer:
   * read it (e.g. `topK`) before the next call.
   * @throws LocalshelfError `INVALID_ARGUMENT` on a length mismatch.
   */
  score(user: Float32Array, bias?: Float32Array): Float32Array;
  /**
   * The `k` best of `scores`, exactly as `topK` (score.ts) ranks them: same rows, same order, same ties. Faster
   * when `scores` is this scorer's own buffer (what `score` returned, changed in place or not): the kernel passes
   * over it keeping only the scores that can still make the top `k`.
   */
  topK(scores: Float32Array, k: number, excluded?: Exclusion): TopK;
}

interface Kernel {
  memory: WebAssembly.Memory;
  score(rows: number, dim: number, u: number, q: number, scales: number, out: number, userScale: number): void;
  score64(rows: number, u: number, q: number, scales: number, out: number, userScale: number): void;
  above(p: number, n: number, t: number, cand: number, cap: number): number;
}

const MAX_DIM = 512; // |127 · 32767 · dim| < 2^31
/**
 * A scorer for `matrix`: the WebAssembly SIMD kernel where it can run, JavaScript otherwise (or when
 * `prefer: 'js'`). The kernel keeps its own copy of the matrix (rows × dim bytes + 4 bytes a row).
 */
export function createScorer(matrix: ItemMatrix, options: { prefer?: 'auto' | 'js' } = {}): Scorer {
  const module = options.prefer === 'js' || matrix.dim % 16 !== 0 || matrix.dim > MAX_DIM ? null : loadKernel(SCORER_WASM_BASE64);
  if (module) {
    try {
      return new SimdScorer(matrix, module);
    } catch {
      // Memory could not grow (a huge catalog on a small device): the JavaScript loop needs no copy.
    }
  }
  return new JsScorer(matrix);
}

class JsScorer implements Scorer {
  readonly kind = 'js';
  readonly rows: number;
  readonly #out: Float32Array;
  constructor(readonly matrix: ItemMatrix) {
    this.rows = matrix.rows;
    this.#out = new Float32Array(matrix.rows);
  }
  score(user: Float32Array, bias?: Float32Array): Float32Array {
    return scoreAll(this.matrix, user, this.#out, bias);
  }
  topK(scores: Float32Array, k: number, excluded?: Exclusion): TopK {
    return topK(scores, k, excluded);
  }
}

/** Most candidates the prefilter keeps (past it, a full pass): 256 KB of the kernel's memory at most. */
const MAX_CANDIDATES = 65536;

const align16 = (n: number): number => (n + 15) & ~15;
/**
 * The matrix starts on a 4 KiB boundary. In Chromium 156 on the 2-core dev machine (a one-off page timing `score64`
 * with each layout, not kept in the repo), a pass over 1M rows took 4.5 ms with the matrix 2,432 bytes into a page
 * and 2.8 ms page-aligned, no difference while it fits in the cache; `npm run bench:scale` ("scan") times the
 * layout that ships.
 */
const alignPage = (n: number): number => (n + 4095) & ~4095;

class SimdScorer implements Scorer {
  readonly kind = 'wasm-simd';
  readonly rows: number;
  readonly #dim: number;
  readonly #kernel: Kernel;
  readonly #user: Int16Array;
  readonly #out: Float32Array;
  readonly #at: { u: number; scales: number; q: number; out: number; cand: number };
  readonly #cap: number;
  readonly #cand: Int32Array;
  readonly #matrix: ItemMatrix;
  /** The JavaScript loop, made on the first non-finite user vector (its own score buffer). */
  #fallback: JsScorer | undefined;

  constructor(matrix: ItemMatrix, module: WebAssembly.Module) {
    const { rows, dim } = matrix;
    this.rows = rows;
    this.#dim = dim;
    const u = 0;
    const scales = align16(u + 2 * dim);
    const q = alignPage(scales + 4 * rows);
    const out = align16(q + rows * dim);
    const cand = out + 4 * rows;
    this.#cap = Math.min(rows, MAX_CANDIDATES);
    const bytes = cand + 4 * this.#cap;
    this.#kernel = new WebAssembly.Instance(module).exports as unknown as Kernel;
    const memory = this.#kernel.memory;
    const pages = Math.ceil(bytes / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages); // once, before any view: views of this memory stay valid from here on
    this.#at = { u, scales, q, out, cand };
    new Float32Array(memory.buffer, scales, rows).set(matrix.scales.subarray(0, rows));
    new Int8Array(memory.buffer, q, rows * dim).set(matrix.q.subarray(0, rows * dim));
    this.#user = new Int16Array(memory.buffer, u, dim);
    this.#out = new Float32Array(memory.buffer, out, rows);
    this.#cand = new Int32Array(memory.buffer, cand, this.#cap);
    this.#matrix = matrix;
  }

  /**
   * A sample's k-th best eligible score is a bar every row of the true top k reaches (k eligible rows already
   * do), so the kernel's pass over the other rows keeps only those at or above it; the top k of the sample's best
   * and those, taken in row order, is `topK`'s answer. Ties stay in: the bar is `>=`.
   */
  topK(scores: Float32Array, k: number, excluded?: Exclusion): TopK {
    const n = this.rows;
    const sample = Math.ceil(4 * Math.sqrt(n * Math.max(k, 1))); // ~sqrt(n k): the sample's cost ~ the candidates'
    if (scores !== this.#out || !Number.isInteger(k) || k <= 0 || sample >= n) return topK(scores, k, excluded);
    const head = topK(scores, k, excluded, sample);
    if (head.rows.length < k) return topK(scores, k, excluded); // too few eligible rows in the sample
    const count = this.#kernel.above(this.#at.out + 4 * sample, n - sample, head.scores[k - 1]!, this.#at.cand, this.#cap);
    if (count > this.#cap) return topK(scores, k, excluded); // scores rising with the row (no useful bar)
    // the sample's best and the candidates after it, in row order: topK over just those rows
    const rows = new Int32Array(k + count);
    rows.set(head.rows);
    rows.subarray(0, k).sort();
    for (let c = 0; c < count; c++) rows[k + c] = this.#cand[c]! + sample;
    return topK(scores, k, excluded, n, rows);
  }

  score(user: Float32Array, bias?: Float32Array): Float32Array {
    const dim = this.#dim;
    if (user.length !== dim) {
      throw new LocalshelfError('INVALID_ARGUMENT', `user vector has ${user.length} values, the matrix has ${dim} dims`);
    }
    if (bias && bias.length < this.rows) throw new LocalshelfError('INVALID_ARGUMENT', `bias shorter than ${this.rows}`);
    let max = 0;
    for (let j = 0; j < dim; j++) {
      const a = Math.abs(user[j]!);
      if (a > max || a !== a) max = a; // a NaN sticks: nothing compares greater than it
    }
    // NaN or infinite values: the JavaScript loop gives the same NaN scores topK() skips.
    if (!Number.isFinite(max)) return (this.#fallback ??= new JsScorer(this.#matrix)).score(user, bias);
    const out = this.#out;
    if (max === 0) {
      out.fill(0);
    } else {
      const step = max / 32767;
      const inverse = 32767 / max;
      for (let j = 0; j < dim; j++) this.#user[j] = Math.round(user[j]! * inverse);
      const at = this.#at;
      if (dim === 64) this.#kernel.score64(this.rows, at.u, at.q, at.scales, at.out, step);
      else this.#kernel.score(this.rows, dim, at.u, at.q, at.scales, at.out, step);
    }
    if (bias) for (let i = 0; i < this.rows; i++) out[i] = out[i]! + bias[i]!;
    return out;
  }
}
