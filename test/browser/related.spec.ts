/**
 * related() and the reasons on recommendations, in real Chromium on the shipped Beauty model: the rankings equal
 * the engine's own computation in Node (onnxruntime-node on the same int8 files; workers/related.ts).
 */
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { zeroLoraFeeds } from '../../eval/run-model';
import { buildEncoderInput, ENCODER_INPUTS, ENCODER_OUTPUT } from '../../workers/engine/encoder-input';
import { parseItemMatrix } from '../../workers/engine/item-matrix';
import { scoreAll, topK } from '../../workers/engine/score';
import { WASM_GRAPH_OPTIMIZATION } from '../../workers/runtime/backend';
import { similarTo } from '../../workers/related';
import { rowNorms } from '../../workers/search/semantic';
import { expect, MODEL, test } from './fixtures';

const dir = fileURLToPath(new URL('../../public/models/beauty/', import.meta.url));
const ITEM = 'B004756YJA';

test('related(): also (encoder on the item) and similar (item vectors) as the engine computes them; typed errors', async ({ shop }) => {
  const manifest = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8'));
  const matrix = parseItemMatrix(readFileSync(`${dir}items.lsim`));
  const ids = (JSON.parse(readFileSync(`${dir}catalog.json`, 'utf8')) as { items: { id: string }[] }).items.map((i) => i.id);
  const row = ids.indexOf(ITEM);
  const session = await ort.InferenceSession.create(`${dir}encoder.int8.onnx`, { graphOptimizationLevel: WASM_GRAPH_OPTIMIZATION });
  const input = buildEncoderInput(matrix, [{ row, type: 1 }], manifest.maxLen);
  const res = await session.run({
    [ENCODER_INPUTS.itemVectors]: new ort.Tensor('float32', input.itemVectors, [...input.itemVectorsDims]),
    [ENCODER_INPUTS.eventTypes]: new ort.Tensor('int64', input.eventTypes, [...input.eventTypesDims]),
    ...zeroLoraFeeds(manifest.lora, session.inputNames),
  });
  const also = topK(scoreAll(matrix, res[ENCODER_OUTPUT]!.data as Float32Array), 10, new Set([row]));
  const similar = topK(similarTo(matrix, rowNorms(matrix), row), 10);
  await session.release();

  const out = await shop.evaluate(
    async ({ model, item }) => {
      const r = await window.localshelf.createRecommender({ model, storageName: 'related' });
      const a = await r.related(item, { k: 10 });
      const s = await r.related(item, { k: 10, mode: 'similar' });
      const codes: string[] = [];
      for (const [id, req] of [['no-such-item', {}], [item, { mode: 'bought' }], [item, { k: 0 }]] as const) {
        codes.push(await r.related(id, req as never).then(() => 'resolved', (e: { code?: string }) => e.code ?? 'untyped'));
      }
      r.dispose();
      return { a, s, codes };
    },
    { model: MODEL, item: ITEM },
  );
  expect(out.a.mode).toBe('also');
  expect(out.a.items.map((i) => i.id)).toEqual(Array.from(also.rows, (r) => ids[r]));
  expect(out.s.items.map((i) => i.id)).toEqual(Array.from(similar.rows, (r) => ids[r]));
  expect(out.a.items.map((i) => i.id)).not.toContain(ITEM);
  expect(out.codes).toEqual(['UNKNOWN_ITEM', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
});

test('personal recommendations carry reasons: history items, best first, with weights in (0, 1]', async ({ shop }) => {
  const out = await shop.evaluate(async (model) => {
    const r = await window.localshelf.createRecommender({ model, storageName: 'because' });
    const popular = await r.recommend({ k: 3 });
    const viewed = ['B004756YJA', 'B004ZT0SSG', 'B0020MMCDE'];
    for (const itemId of viewed) await r.track({ type: 'view', itemId });
    const rec = await r.recommend({ k: 10 });
    r.dispose();
    return { popular, rec, viewed };
  }, MODEL);
  expect(out.popular.items.every((i) => i.because === undefined)).toBe(true);
  // a reason is a history item with a positive cosine: most results have one (EVAL.md measures the share), a result
  // whose vector points away from every history item has none (an empty list, not a made-up reason)
  expect(out.rec.items.filter((i) => i.because!.length > 0).length).toBeGreaterThanOrEqual(out.rec.items.length / 2);
  for (const item of out.rec.items) {
    expect(Array.isArray(item.because)).toBe(true);
    expect(item.because!.length).toBeLessThanOrEqual(3);
    for (const reason of item.because!) {
      expect(out.viewed).toContain(reason.itemId);
      expect(reason.weight).toBeGreaterThan(0);
      expect(reason.weight).toBeLessThanOrEqual(1.0001);
      expect(reason.title.length).toBeGreaterThan(0);
    }
    const w = item.because!.map((b) => b.weight);
    expect([...w].sort((a, b) => b - a)).toEqual(w);
  }
});
