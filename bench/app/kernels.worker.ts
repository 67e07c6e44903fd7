/**
 * The reference kernels, timed in a dedicated module worker (the same kind of context the recommender's engine
 * runs in) over the same LSIM file the model ships:
 *
 * - `floor`: the memory floor, one WebAssembly SIMD pass over the int8 bytes (16 a load);
 * - `floor32` / `floor8`: the same pass in JavaScript, through an Int32Array view / byte by byte (Int8Array);
 * - `int8` / `int8+top10`: the library's own scorer (`createScorer`: WebAssembly SIMD where the browser has it,
 *   then `topK`), the code the engine runs;
 * - `int8-js`: the library's plain-JavaScript loop (`scoreAll`), what runs where WebAssembly SIMD is missing;
 * - `brute` / `brute+top10`: what a developer would write: the matrix dequantized to float32 once, then a naive
 *   per-item dot-product loop (the top-10 step is the library's `topK`, so only the scan differs).
 *
 * Also times the history load the engine does at start-up (open the IndexedDB history, read every event, fold
 * them into the profile), with the engine's own modules.
 */
import { expose } from 'comlink';
import { parseItemMatrix, type ItemMatrix } from '../../workers/engine/item-matrix';
import { WASM_GRAPH_OPTIMIZATION } from '../../workers/runtime/backend';
import { scoreAll, topK } from '../../workers/engine/score';
import { createScorer, type Scorer } from '../../workers/engine/simd-scorer';
import { SCORER_WASM_BASE64 } from '../../workers/engine/simd/score-wasm';
import { seededRandom } from '../../tools/lib/random-adapter';
import { ShopperProfile } from '../../workers/history/profile';
import { HistoryStore } from '../../workers/history/store';
import { IndexStore } from '../../workers/search/index-store';
import { LEXICAL_INDEX_VERSION, LexicalIndex } from '../../workers/search/lexical-index';

/** Import only types from this file on the main thread: importing a value would run `expose` there. */
export type Kernel = 'floor' | 'floor32' | 'floor8' | 'int8' | 'int8+top10' | 'int8-js' | 'brute' | 'brute+top10';

export interface KernelTiming {
  kernel: Kernel;
  /** ms per call, one value per sample (each sample times `reps` back-to-back calls and divides). */
  samples: number[];
  reps: number;
  /** Keeps the JIT from dropping the work; also a sanity value. */
  checksum: number;
}

interface Loaded {
  matrix: ItemMatrix;
  scorer: Scorer;
  floats: Float32Array;
  user: Float32Array;
  scores: Float32Array;
  words: Int32Array | undefined;
  scan: () => number;
}

let loaded: Loaded | undefined;

function need(): Loaded {
  if (!loaded) throw new Error('load() first');
  return loaded;
}

/** Deterministic pseudo-random user vector. */
function userVector(dim: number): Float32Array {
  const random = seededRandom(12345);
  return Float32Array.from({ length: dim }, () => random() * 2 - 1);
}

/**
 * The memory floor: one WebAssembly SIMD pass over a copy of the int8 matrix, 16 bytes a load (the scorer
 * module's `scan` export). Nothing that reads every byte of the matrix once can be faster in this context.
 */
function simdScan(q: Int8Array): () => number {
  const binary = atob(SCORER_WASM_BASE64);
  const module = new WebAssembly.Module(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  const kernel = new WebAssembly.Instance(module).exports as { memory: WebAssembly.Memory; scan(p: number, n: number): number };
  const n = q.byteLength - (q.byteLength % 64);
  kernel.memory.grow(Math.ceil(n / 65536));
  new Int8Array(kernel.memory.buffer, 0, n).set(q.subarray(0, n));
  return () => kernel.scan(0, n);
}

// Float64 accumulators: exact here (|sum| < 2^53), and V8 keeps them in registers. An int32 `(s + x) | 0` sum of
// Int32Array words overflows, and V8 then runs the loop about 6× slower, which would raise the floor.
function floor32(words: Int32Array): number {
  let s = 0;
  for (let i = 0; i < words.length; i++) s += words[i]!;
  return s;
}

function floor8(q: Int8Array): number {
  let s = 0;
  for (let i = 0; i < q.length; i++) s += q[i]!;
  return s;
}

/** The naive float32 scan: one dot product per item. */
function brute(f: Float32Array, u: Float32Array, rows: number, dim: number, out: Float32Array): Float32Array {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const o = i * dim;
    for (let j = 0; j < dim; j++) s += f[o + j]! * u[j]!;
    out[i] = s;
  }
  return out;
}

function once(kernel: Kernel): number {
  const l = need();
  const { matrix, floats, user, scores } = l;
  switch (kernel) {
    case 'floor':
      return l.scan();
    case 'floor32':
      return l.words ? floor32(l.words) : floor8(matrix.q);
    case 'floor8':
      return floor8(matrix.q);
    case 'int8':
      return l.scorer.score(user)[0]!;
    case 'int8+top10':
      return l.scorer.topK(l.scorer.score(user), 10).rows[0]!;
    case 'int8-js':
      return scoreAll(matrix, user, scores)[0]!;
    case 'brute':
      return brute(floats, user, matrix.rows, matrix.dim, scores)[0]!;
    case 'brute+top10':
      return topK(brute(floats, user, matrix.rows, matrix.dim, scores), 10).rows[0]!;
  }
}

const api = {
  /** Gives back what it gets: a round trip through comlink with a payload, nothing else (bench/app/main.ts). */
  echo<T>(payload: T): T {
    return payload;
  },

  /** Downloads and parses the LSIM file; dequantizes it to float32 once for the brute-force scan. */
  async load(url: string): Promise<{ rows: number; dim: number; bytes: number; scorer: Scorer['kind'] }> {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const buffer = await response.arrayBuffer();
    const matrix = parseItemMatrix(buffer);
    const { rows, dim, q, scales } = matrix;
    const floats = new Float32Array(rows * dim);
    for (let i = 0; i < rows; i++) for (let j = 0; j < dim; j++) floats[i * dim + j] = scales[i]! * q[i * dim + j]!;
    const aligned = q.byteOffset % 4 === 0 && q.byteLength % 4 === 0;
    const words = aligned ? new Int32Array(q.buffer, q.byteOffset, q.byteLength / 4) : undefined;
    const scorer = createScorer(matrix);
    loaded = { matrix, scorer, floats, user: userVector(dim), scores: new Float32Array(rows), words, scan: simdScan(q) };
    return { rows, dim, bytes: q.byteLength, scorer: scorer.kind };
  },

  /** Times `kernel`: `samples` samples of at least `minSampleMs` each (after `warmup` untimed calls). */
  run(kernel: Kernel, samples: number, minSampleMs: number, warmup: number): KernelTiming {
    let checksum = 0;
    for (let i = 0; i < warmup; i++) checksum += once(kernel);
    const t = performance.now();
    checksum += once(kernel);
    const single = Math.max(performance.now() - t, 0.001);
    const reps = Math.max(1, Math.ceil(minSampleMs / single));
    const out: number[] = [];
    for (let s = 0; s < samples; s++) {
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) checksum += once(kernel);
      out.push((performance.now() - t0) / reps);
    }
    return { kernel, samples: out, reps, checksum };
  },

  /** Same top-10 from the int8 scorer and the brute-force scan? (a check that both do the same work) */
  agree(): { sameTop10: number } {
    const l = need();
    const a = topK(l.scorer.score(l.user), 10).rows;
    const b = topK(brute(l.floats, l.user, l.matrix.rows, l.matrix.dim, new Float32Array(l.matrix.rows)), 10).rows;
    return { sameTop10: Array.from(a).filter((r) => b.includes(r)).length };
  },

  /** The engine's history load: open the database, read every event, fold them into the profile. */
  async historyLoad(storageName: string, samples: number, maxLen: number): Promise<{ events: number; samples: number[] }> {
    const out: number[] = [];
    let events = 0;
    for (let s = 0; s < samples; s++) {
      const t0 = performance.now();
      const store = await HistoryStore.open(storageName, 10_000);
      const all = await store.all();
      new ShopperProfile(maxLen).add(all);
      out.push(performance.now() - t0);
      events = all.length;
      store.close();
    }
    return { events, samples: out };
  },

  ortStart: (encoderUrl: string) => ortStart(encoderUrl),

  /** The engine's restore of the persisted lexical index (IndexedDB read + LexicalIndex.deserialize). */
  async lexicalRestore(databaseName: string, catalogSha256: string): Promise<{ ms: number; documents: number }> {
    const t0 = performance.now();
    const store = await IndexStore.open(databaseName);
    const parts = await store?.load(`${catalogSha256}:v${LEXICAL_INDEX_VERSION}`);
    store?.close();
    if (!parts) return { ms: Number.NaN, documents: 0 };
    const index = await LexicalIndex.deserialize(parts);
    return { ms: performance.now() - t0, documents: index.size };
  },
};

export type KernelsApi = typeof api;

/**
 * onnxruntime-web's start in this (fresh) worker, as the engine does it: import the WASM build, instantiate its
 * wasm, open a session on the encoder. Measures the part of createRecommender() the engine cannot report.
 */
export async function ortStart(encoderUrl: string): Promise<{ importMs: number; sessionMs: number }> {
  const t0 = performance.now();
  const ort = await import('onnxruntime-web/wasm');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const importMs = performance.now() - t0;
  const bytes = new Uint8Array(await (await fetch(encoderUrl)).arrayBuffer());
  const t1 = performance.now();
  await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: WASM_GRAPH_OPTIMIZATION, logSeverityLevel: 3 });
  return { importMs, sessionMs: performance.now() - t1 };
}
expose(api);
