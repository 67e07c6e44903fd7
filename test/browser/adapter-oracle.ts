/**
 * What the shipped Beauty model should recommend with a given adapter, computed in Node: the same ONNX graph on
 * onnxruntime-node (not the worker's onnxruntime-web), LoRA tensors fed as the graph's inputs, `item_bias` added
 * to the scores, an item-table update's rows written into its own copy of the item matrix. The browser tests
 * compare the page's `recommend()` with this.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { buildEncoderInput, ENCODER_INPUTS, ENCODER_OUTPUT } from '../../workers/engine/encoder-input';
import { parseItemMatrix, type ItemMatrix } from '../../workers/engine/item-matrix';
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
  readonly manifest: { maxLen: number; numItems: number; dim: number; sha256: Record<string, string>; lora: { rank: number; targets: { name: string; in: number; out: number }[] } };
  readonly ids: readonly string[];
  /** The channel's model binding: what adapters must fit. */
  readonly binding: { baseModel: string; lora: BeautyModel['manifest']['lora']; numItems: number; dim: number; baseItems: string };
  /**
   * Top `k` ids and scores for a history of views, with the adapter's tensors (none: the base model); the viewed
   * items are left out, as `recommend()` does by default (`omit: 'history'`).
   */
  recommend(viewed: readonly string[], adapter?: EncodeAdapterInput, k?: number): Promise<OracleRanking>;
  /** The model's int8 row of an item (a copy), to build item-table updates from. */
  row(id: string): { q: Int8Array; scale: number };
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
    binding: { baseModel: manifest.sha256['encoder.int8.onnx']!, lora: manifest.lora, numItems: manifest.numItems, dim: manifest.dim, baseItems: manifest.sha256['items.lsim']! },
    row: (id) => {
      const r = rowOf.get(id)!;
      return { q: matrix.q.slice(r * manifest.dim, (r + 1) * manifest.dim), scale: matrix.scales[r]! };
    },
    async recommend(viewed, adapter, k = 10) {
      const { matrix: m, ids: allIds, removed } = withItemUpdate(adapter);
      const rowIn = new Map(allIds.map((id, row) => [id, row]));
      const history = viewed.map((id) => ({ row: rowIn.get(id)!, type: 1 as const }));
      const input = buildEncoderInput(m, history, manifest.maxLen);
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
      const all = scoreAll(m, user, undefined, given.get(ITEM_BIAS)?.data as Float32Array | undefined);
      const best = topK(all, k, new Set([...history.map((h) => h.row), ...removed]));
      return { ids: Array.from(best.rows, (row) => allIds[row]!), scores: Array.from(best.scores), scoreOf: (id) => all[rowIn.get(id)!]! };
    },
    close: () => session.release(),
  };

  /** The matrix and ids after an update's item tensors (written out here on their own, not by the engine's code). */
  function withItemUpdate(adapter: EncodeAdapterInput | undefined): { matrix: ItemMatrix; ids: string[]; removed: number[] } {
    const t = new Map(adapter?.tensors.map((x) => [x.name, x.data]) ?? []);
    const q8 = t.get('items.q') as Int8Array | undefined;
    if (!q8) return { matrix, ids: [...ids], removed: [] };
    const d = manifest.dim;
    const replaced = Array.from((t.get('items.rows') as Int32Array | undefined) ?? []);
    const fresh = (adapter!.newItems ?? []).map((e) => String(e.id));
    const rows = ids.length + fresh.length;
    const q = new Int8Array(rows * d);
    const scales = new Float32Array(rows);
    q.set(matrix.q);
    scales.set(matrix.scales);
    const s = t.get('items.scale') as Float32Array;
    const targets = [...replaced, ...fresh.map((_, j) => ids.length + j)];
    targets.forEach((row, i) => {
      for (let j = 0; j < d; j++) q[row * d + j] = q8[i * d + j]!;
      scales[row] = s[i]!;
    });
    return { matrix: { rows, dim: d, q, scales }, ids: [...ids, ...fresh], removed: Array.from((t.get('items.removed') as Int32Array | undefined) ?? []) };
  }
}
