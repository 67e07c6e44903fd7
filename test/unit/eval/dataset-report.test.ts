import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluateDataset, type DatasetSpec } from '../../../eval/dataset-report';
import type { TestSet } from '../../../eval/datasets';
import { renderReport } from '../../../eval/report';

const fixture = fileURLToPath(new URL('./fixtures/tiny-model', import.meta.url));
const missing = fileURLToPath(new URL('./fixtures/does-not-exist', import.meta.url));

// 8 users; user u's history ends with item u+1 (ids 1..8), the target is its successor: the tiny model is perfect.
const test: TestSet = {
  dataset: 'beauty',
  numItems: 8,
  externalIds: Array.from({ length: 8 }, (_, i) => `item${i + 1}`),
  histories: Array.from({ length: 8 }, (_, u) => [((u + 7) % 8) + 1, u + 1]),
  targets: Array.from({ length: 8 }, (_, u) => ((u + 1) % 8) + 1),
  subsets: {},
  protocol: 'synthetic',
};
const settings = { root: fileURLToPath(new URL('../../..', import.meta.url)), threads: 1, batchSize: 3, log: () => {} };

describe('evaluateDataset', () => {
  it('reports int8, fp32 and PyTorch side by side with agreement and target verdicts', async () => {
    const spec: DatasetSpec = {
      key: 'beauty',
      title: 'Tiny',
      test,
      int8Dirs: [missing, fixture],
      trainedDirs: [missing, fixture],
      target: 0.5,
      howToMake: 'run make-tiny',
    };
    const section = await evaluateDataset(spec, settings);
    const t = section.tables[0]!;
    expect(t.variants.map((v) => v.label)).toEqual(['**ONNX int8 (browser)**', 'ONNX fp32', 'PyTorch (training)']);
    expect(t.variants[0]!.excluded.ndcg[10]).toBe(1);
    expect(t.variants[0]!.excluded.users).toBe(8);
    expect(section.notes.join('\n')).toMatch(/relative difference 0\.00 %.*within the 1 % target/);
    expect(section.notes.join('\n')).toMatch(/agree within noise/);
    expect(section.notes.join('\n')).toMatch(/Target \(all test users\): .* 1\.0000 vs 0\.5 → \*\*met\*\*/);
    const md = renderReport({ command: 'x', date: 'd', machine: 'm', runtime: 'r', seconds: 1, summary: [], sections: [section] });
    expect(md).toMatch(/\| \*\*ONNX int8 \(browser\)\*\* \| `test\/unit\/eval\/fixtures\/tiny-model\/encoder\.int8\.onnx`/);
  });

  it('says what is missing and which command makes it, instead of failing', async () => {
    const section = await evaluateDataset(
      { key: 'ml1m', title: 'Nothing', test, int8Dirs: [missing], trainedDirs: [missing], target: 0.1, howToMake: 'run make-tiny' },
      settings,
    );
    expect(section.tables[0]!.variants).toEqual([]);
    const notes = section.notes.join('\n');
    expect(notes).toMatch(/\*\*Missing\*\*: no int8 model .* run make-tiny/);
    expect(notes).toMatch(/\*\*Missing\*\*: .*encoder\.fp32\.onnx/);
    expect(notes).toMatch(/\*\*Missing\*\*: .*metrics\.json/);
  });
});

describe('cold start section', () => {
  it('reports the users whose target is a held-out item, beside the normal model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'localshelf-cold-'));
    cpSync(fixture, dir, { recursive: true });
    writeFileSync(join(dir, 'cold_items.json'), JSON.stringify([3, 5])); // targets of users 1 and 3
    rmSync(join(dir, 'metrics.json'));
    const section = await evaluateDataset(
      { key: 'beauty', title: 'Tiny', test, int8Dirs: [fixture], trainedDirs: [fixture], coldDirs: [dir], target: 0.5, howToMake: '' },
      settings,
    );
    const cold = section.tables.find((t) => t.title.startsWith('cold start'))!;
    expect(cold.title).toBe('cold start (2 items never seen in training)');
    expect(cold.variants.map((v) => [v.label, v.excluded.users])).toEqual([
      ['**ONNX int8, cold items text-only (exported rows)**', 2],
      ['normal model (IDs trained), same users', 2],
    ]);
    const notes = section.notes.join('\n');
    expect(notes).toMatch(/not re-encoded in Node/); // the fixture has no tokenizer.json
    expect(notes).toMatch(/other 6 \(warm-target\) users: NDCG@10 1\.0000/);
    rmSync(dir, { recursive: true });
  });
});

describe('shipped model provenance', () => {
  it('flags a shipped int8 model that is not the training run export, and shows the run\'s own int8', async () => {
    const withHash = (hash: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'localshelf-prov-'));
      cpSync(fixture, dir, { recursive: true });
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, sha256: { 'encoder.int8.onnx': hash } }));
      return dir;
    };
    const shipped = withHash('a'.repeat(64));
    const run = withHash('b'.repeat(64));
    const section = await evaluateDataset(
      { key: 'beauty', title: 'Tiny', test, int8Dirs: [shipped], trainedDirs: [run], target: 0.5, howToMake: '' },
      settings,
    );
    expect(section.notes.join('\n')).toMatch(/is not the export of .* hashes differ/);
    expect(section.tables[0]!.variants.map((v) => v.label)).toEqual([
      '**ONNX int8 (browser)**',
      'ONNX int8 (training run export)',
      'ONNX fp32',
      'PyTorch (training)',
    ]);
    for (const d of [shipped, run]) rmSync(d, { recursive: true });
  });
});

describe('store command layout', () => {
  it('reads the PyTorch figures of a store run (metrics.json with `pytorch` and `onnx`) like a train.py run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'localshelf-store-'));
    cpSync(fixture, dir, { recursive: true });
    const m = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    const shifted = { ...m.test, exclude_history: { ...m.test.exclude_history, 'NDCG@10': 0.4321 } };
    const store = { name: 'tiny', pytorch: { valid: m.valid, test: shifted }, onnx: { test: m.test }, train: m.train };
    writeFileSync(join(dir, 'metrics.json'), JSON.stringify(store));
    const spec: DatasetSpec = { key: 'beauty', title: 'Tiny', test, int8Dirs: [dir], trainedDirs: [dir], target: 0.5, howToMake: '' };
    const section = await evaluateDataset(spec, settings);
    const torch = section.tables[0]!.variants.find((v) => v.label === 'PyTorch (training)');
    expect(torch?.excluded.ndcg[10]).toBe(0.4321);
    expect(section.notes.join('\n')).not.toMatch(/Missing\*\*: .*metrics\.json/);
    rmSync(dir, { recursive: true });
  });
});
