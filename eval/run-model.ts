/**
 * Run an exported history encoder (onnxruntime-node, the same ONNX graph the browser runs) over leave-one-out
 * test cases and rank every target against the whole catalog, with the engine's own modules: histories become
 * feeds through `workers/engine/encoder-input`, scores come from the engine's scorer (`workers/engine/simd-scorer`: the WebAssembly SIMD kernel, as in the browser) on the int8 item matrix.
 */
import * as ort from 'onnxruntime-node';
import {
  ENCODER_INPUTS,
  ENCODER_OUTPUT,
  buildEncoderBatch,
  createEncoderInputBuffers,
  type HistoryEvent,
} from '../workers/engine/encoder-input';
import type { ItemMatrix } from '../workers/engine/item-matrix';
import { createScorer } from '../workers/engine/simd-scorer';
import { WASM_GRAPH_OPTIMIZATION } from '../workers/runtime/backend';
import { rankOfTarget, summarizeRanks, type MetricSummary, type TieRule } from './metrics';

/** `manifest.lora` of the artifact contract. */
export interface LoraSpec {
  readonly rank: number;
  readonly targets: readonly { readonly name: string; readonly in: number; readonly out: number }[];
}

/** One leave-one-out case, in item-matrix rows: the history (oldest first) and the held-out target. */
export interface EvalCase {
  readonly history: ArrayLike<number>;
  readonly target: number;
}

/** Per-user ranks of one run, with and without history exclusion. */
export interface RankRun {
  /** 1-based rank with the user's history items left out of the ranking. */
  readonly ranksExcluded: Float64Array;
  /** 1-based rank over every item. */
  readonly ranksAll: Float64Array;
  readonly tiesExcluded: Int32Array;
  readonly tiesAll: Int32Array;
  /** Wall-clock seconds for encoder + scoring. */
  readonly seconds: number;
}

/** Metrics of a run (or a subset of its users). */
export interface RunSummary {
  readonly excluded: MetricSummary;
  readonly all: MetricSummary;
}

/** Options of {@link rankCases}. */
export interface RankOptions {
  readonly session: ort.InferenceSession;
  /** Item matrix the histories are gathered from and every item is scored against. */
  readonly matrix: ItemMatrix;
  /** `manifest.maxLen`. */
  readonly maxLen: number;
  readonly cases: readonly EvalCase[];
  /** `manifest.lora`: zero adapters are fed for every target. */
  readonly lora?: LoraSpec;
  /** Users per encoder call. @defaultValue 256 */
  readonly batchSize?: number;
  /** @defaultValue 'pessimistic' (same as training/evaluate.py) */
  readonly tieRule?: TieRule;
  /** Called after each batch with the number of users done. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Zero LoRA inputs for every target of `manifest.lora` (A `[r, in]`, B `[out, r]`), so the base model runs
 * unchanged. Fails when the graph has `lora.*` inputs the manifest does not describe, or the reverse.
 */
export function zeroLoraFeeds(lora: LoraSpec | undefined, inputNames: readonly string[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  const r = lora?.rank ?? 0;
  for (const t of lora?.targets ?? []) {
    feeds[`lora.${t.name}.A`] = new ort.Tensor('float32', new Float32Array(r * t.in), [r, t.in]);
    feeds[`lora.${t.name}.B`] = new ort.Tensor('float32', new Float32Array(t.out * r), [t.out, r]);
  }
  const graphLora = inputNames.filter((n) => n.startsWith('lora.'));
  const missing = graphLora.filter((n) => !(n in feeds));
  const unknown = Object.keys(feeds).filter((n) => !inputNames.includes(n));
  if (missing.length || unknown.length) {
    throw new Error(
      `manifest.lora does not match the graph: graph inputs without a manifest entry [${missing.join(', ')}], ` +
        `manifest targets without a graph input [${unknown.join(', ')}]`,
    );
  }
  return feeds;
}

/**
 * Encode every case's history and rank its target against all items. Encoder calls are double-buffered so
 * onnxruntime can work on batch i+1 while batch i is scored.
 */
export async function rankCases(options: RankOptions): Promise<RankRun> {
  const { session, matrix, maxLen, cases } = options;
  const batchSize = options.batchSize ?? 256;
  const tieRule = options.tieRule ?? 'pessimistic';
  const dim = matrix.dim;
  const lora = zeroLoraFeeds(options.lora, session.inputNames);
  const buffers = [0, 1].map(() => createEncoderInputBuffers(batchSize, maxLen, dim));
  const scorer = createScorer(matrix);
  const n = cases.length;
  const ranksExcluded = new Float64Array(n);
  const ranksAll = new Float64Array(n);
  const tiesExcluded = new Int32Array(n);
  const tiesAll = new Int32Array(n);
  const started = performance.now();

  const encode = (start: number, slot: number): Promise<ort.InferenceSession.ReturnType> => {
    const histories: HistoryEvent[][] = [];
    for (let u = start; u < Math.min(start + batchSize, n); u++) {
      const h = cases[u]!.history;
      const events: HistoryEvent[] = [];
      for (let k = Math.max(0, h.length - maxLen); k < h.length; k++) events.push({ row: h[k]!, type: 1 });
      histories.push(events);
    }
    const input = buildEncoderBatch(matrix, histories, maxLen, buffers[slot]);
    return session.run({
      [ENCODER_INPUTS.itemVectors]: new ort.Tensor('float32', input.itemVectors, [...input.itemVectorsDims]),
      [ENCODER_INPUTS.eventTypes]: new ort.Tensor('int64', input.eventTypes, [...input.eventTypesDims]),
      ...lora,
    });
  };

  let pending = n > 0 ? encode(0, 0) : undefined;
  for (let start = 0, slot = 0; start < n; start += batchSize, slot ^= 1) {
    const out = await pending!;
    pending = start + batchSize < n ? encode(start + batchSize, slot ^ 1) : undefined;
    const users = out[ENCODER_OUTPUT];
    if (!users) throw new Error(`the encoder has no "${ENCODER_OUTPUT}" output`);
    const data = users.data as Float32Array;
    if (users.dims.length !== 2 || users.dims[1] !== dim) {
      throw new Error(`"${ENCODER_OUTPUT}" has shape [${users.dims.join(', ')}], expected [B, ${dim}]`);
    }
    for (let b = 0, u = start; b < users.dims[0]!; b++, u++) {
      const scores = scorer.score(data.subarray(b * dim, (b + 1) * dim));
      const c = cases[u]!;
      const all = rankOfTarget(scores, c.target, undefined, tieRule, matrix.rows);
      const ex = rankOfTarget(scores, c.target, c.history, tieRule, matrix.rows);
      ranksAll[u] = all.rank;
      tiesAll[u] = all.ties;
      ranksExcluded[u] = ex.rank;
      tiesExcluded[u] = ex.ties;
    }
    options.onProgress?.(Math.min(start + batchSize, n), n);
  }
  return { ranksExcluded, ranksAll, tiesExcluded, tiesAll, seconds: (performance.now() - started) / 1000 };
}

/** HR/NDCG of a run, over all its users or those with a truthy `mask[u]`. */
export function summarizeRun(run: RankRun, ks: readonly number[] = [10, 20], mask?: ArrayLike<number | boolean>): RunSummary {
  return {
    excluded: summarizeRanks(run.ranksExcluded, run.tiesExcluded, ks, mask),
    all: summarizeRanks(run.ranksAll, run.tiesAll, ks, mask),
  };
}

/**
 * Open an encoder for evaluation: CPU, the graph optimisation level the browser's WASM session uses
 * (`WASM_GRAPH_OPTIMIZATION`), `threads` intra-op threads.
 */
export async function openEncoder(path: string, threads = 2): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: WASM_GRAPH_OPTIMIZATION,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
}
