import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseItemMatrix } from '../../../workers/engine/item-matrix';
import { openEncoder, rankCases, summarizeRun, zeroLoraFeeds, type LoraSpec } from '../../../eval/run-model';

// Tiny synthetic model (see fixtures/make_tiny_model.py): 8 one-hot items, the encoder predicts item (last+1) % 8.
const dir = fileURLToPath(new URL('./fixtures/tiny-model/', import.meta.url));
const manifest = JSON.parse(readFileSync(dir + 'manifest.json', 'utf8')) as { maxLen: number; lora: LoraSpec };
const matrix = parseItemMatrix(readFileSync(dir + 'items.lsim'));

describe('rankCases on a tiny ONNX encoder', () => {
  it('ranks the successor first for every user, across batches and long histories', async () => {
    const session = await openEncoder(dir + 'encoder.int8.onnx', 1);
    const cases = Array.from({ length: 8 }, (_, i) => ({
      history: Array.from({ length: 2 + i }, (_, k) => (i + 8 - (1 + i) + k) % 8), // ends with item i
      target: (i + 1) % 8,
    }));
    const run = await rankCases({ session, matrix, maxLen: manifest.maxLen, cases, lora: manifest.lora, batchSize: 3 });
    expect(Array.from(run.ranksAll)).toEqual(new Array(8).fill(1));
    expect(Array.from(run.ranksExcluded)).toEqual(new Array(8).fill(1));
    const s = summarizeRun(run);
    expect(s.excluded.ndcg[10]).toBe(1);
    expect(s.excluded.users).toBe(8);
  });

  it('excludes history items (never the target) and counts ties against the target', async () => {
    const session = await openEncoder(dir + 'encoder.int8.onnx', 1);
    // History ends in item 0, so item 1 scores 0.25 and the other seven score 0. Target 5 scores 0 as well.
    const run = await rankCases({
      session,
      matrix,
      maxLen: manifest.maxLen,
      lora: manifest.lora,
      cases: [
        { history: [1, 0], target: 5 },
        { history: [2, 0], target: 2 },
      ],
    });
    // all: item 1 above, six zero-score items tied -> 1 + 1 + 6 = 8 (last); excluded: 1 and 0 leave -> 1 + 5 = 6
    expect(run.ranksAll[0]).toBe(8);
    expect(run.ranksExcluded[0]).toBe(6);
    // target 2 is in the history: it stays in the ranking; item 0 (history, tied) leaves, item 1 (not) stays
    expect(run.ranksAll[1]).toBe(8);
    expect(run.ranksExcluded[1]).toBe(7);
  });

  it('refuses a manifest whose LoRA targets do not match the graph', () => {
    expect(() => zeroLoraFeeds({ rank: 2, targets: [] }, ['item_vectors', 'lora.block0.attn.q.A'])).toThrow(
      /graph inputs without a manifest entry \[lora\.block0\.attn\.q\.A\]/,
    );
    expect(() => zeroLoraFeeds(manifest.lora, ['item_vectors'])).toThrow(/without a graph input/);
    const feeds = zeroLoraFeeds(manifest.lora, ['lora.block0.attn.q.A', 'lora.block0.attn.q.B']);
    expect(feeds['lora.block0.attn.q.A']!.dims).toEqual([2, 8]);
    expect(feeds['lora.block0.attn.q.B']!.dims).toEqual([8, 2]);
  });
});
