/**
 * What the shipped Beauty model should recommend with a given adapter, computed in Node: the same ONNX graph on
 * onnxruntime-node (not the worker's onnxruntime-web), LoRA tensors fed as the graph's inputs, `item_bias` added
 * to the scores. The browser test compares the page's `recommend()` with this.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { buildEncoderInput, ENCODER_INPUTS, ENCODER_OUTPUT } from '../../workers/engine/encoder-input';
import { parseItemMatrix } from '../../workers/engine/item-matrix';
import { scoreAll, topK } from '../../workers/engine/score';
import { ITEM_BIAS, type EncodeAdapterInput } from '../../workers/adapters/format';
import { WASM_GRAPH_OPTIMIZATION } from '../../workers/runtime/backend';

const dir = fileURLToPath(new URL('../../public/models/beauty/', import.meta.url));

/** The top `k` and, for any catalog id, the score the oracle gives it. */
export interface OracleRanking {
  ids: string[];
  scores: number[];
  scoreOf(id: string): number;
}

export interface BeautyModel {
  readonly manifest: { maxLen: number; numItems: number; sha256: Record<string, string>; lora: { rank: number; targets: { name: string; in: number; out: number }[] } };
  readonly ids: readonly string[];
  /** The channel's model binding: what adapters must fit. */
  readonly binding: { baseModel: string; lora: BeautyModel['manifest']['lora']; numItems: number };
  /**
   * Top `k` ids and scores for a history of views, with the adapter's tensors (none: the base model); the viewed
   * items are left out, as `recommend()` does by default (`omit: 'history'`).
   */
  recommend(viewed: readonly string[], adapter?: EncodeAdapterInput, k?: number): Promise<OracleRanking>;
  close(): Promise<void>;
}

export async function loadBeauty(): Promise<BeautyModel> {
  const manifest = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8')) as BeautyModel['manifest'];
  const matrix = parseItemMatrix(readFileSync(`${dir}items.lsim`));
  const ids = (JSON.parse(readFileSync(`${dir}catalog.json`, 'utf8')) as { items: { id: string }[] }).items.map((i) => i.id);
  const rowOf = new Map(ids.map((id, row) => [id, row]));
  const session = await ort.InferenceSession.create(`${dir}encoder.int8.onnx`, { intraOpNumThreads: 1, graphOptimizationLevel: WASM_GRAPH_OPTIMIZATION });
  return {
    manifest,
    ids,
    binding: { baseModel: manifest.sha256['encoder.int8.onnx']!, lora: manifest.lora, numItems: manifest.numItems },
    async recommend(viewed, adapter, k = 10) {
      const history = viewed.map((id) => ({ row: rowOf.get(id)!, type: 1 as const }));
      const input = buildEncoderInput(matrix, history, manifest.maxLen);
      const feeds: Record<string, ort.Tensor> = {
        [ENCODER_INPUTS.itemVectors]: new ort.Tensor('float32', input.itemVectors, [...input.itemVectorsDims]),
        [ENCODER_INPUTS.eventTypes]: new ort.Tensor('int64', input.eventTypes, [...input.eventTypesDims]),
      };
      const given = new Map(adapter?.tensors.map((t) => [t.name, t]) ?? []);
      const r = manifest.lora.rank;
      for (const t of manifest.lora.targets) {
        for (const [name, dims] of [[`lora.${t.name}.A`, [r, t.in]], [`lora.${t.name}.B`, [t.out, r]]] as const) {
          feeds[name] = new ort.Tensor('float32', (given.get(name)?.data as Float32Array | undefined) ?? new Float32Array(dims[0] * dims[1]), [...dims]);
        }
      }
      const out = await session.run(feeds);
      const user = (await out[ENCODER_OUTPUT]!.getData()) as Float32Array;
      const all = scoreAll(matrix, user, undefined, given.get(ITEM_BIAS)?.data as Float32Array | undefined);
      const best = topK(all, k, new Set(history.map((h) => h.row)));
      return { ids: Array.from(best.rows, (row) => ids[row]!), scores: Array.from(best.scores), scoreOf: (id) => all[rowOf.get(id)!]! };
    },
    close: () => session.release(),
  };
}
