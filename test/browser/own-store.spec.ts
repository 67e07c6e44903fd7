/**
 * A store that is not Beauty: a synthetic multi-behaviour log (training/store/synth.py) trained by the one
 * command a store runs (`bin/localshelf-train.mjs`, a small time budget), served over HTTP, loaded by the built
 * library in Chromium, and recommending that store's own items (docs/own-data.md).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer, type Route, type StaticServer } from '../../server/static-server';
import { expect, test } from './fixtures';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let work: string;
let server: StaticServer;

test.describe.configure({ timeout: 300_000 });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  work = mkdtempSync(join(tmpdir(), 'localshelf-store-'));
  const env = { ...process.env, PYTHONPATH: repo };
  execFileSync('/usr/bin/python3', ['-m', 'training.store.synth', '--users', '2000', '--items', '800', '--seed', '5', '--out', join(work, 'data')], { cwd: repo, env, stdio: 'inherit' });
  execFileSync(
    'node',
    ['bin/localshelf-train.mjs', '--events', join(work, 'data/events.csv'), '--catalog', join(work, 'data/catalog.csv'), '--out', join(work, 'model'), '--time-budget-min', '0.5', '--name', 'synthetic-store'],
    { cwd: repo, env, stdio: 'inherit' },
  );
  const model: Route = (req, res) => {
    const m = /^\/store\/([\w./-]+)$/.exec(req.url ?? '');
    if (!m || m[1]!.includes('..')) return false;
    const file = join(work, 'model', m[1]!);
    if (!existsSync(file)) return false;
    res.writeHead(200, { 'Content-Type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' }).end(readFileSync(file));
    return true;
  };
  server = await startStaticServer({ root: `${repo}/test/browser/.app-dist`, routes: [model] });
});

test.afterAll(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('a synthetic store trained by localshelf-train: the library loads its folder and recommends its own items', async ({ page }) => {
  // The run's own figures: the int8 export scored in the same run beats the most-popular baseline, and the
  // report carries both numbers.
  type Fig = { users: number; exclude_history: { 'NDCG@10': number } };
  const metrics = JSON.parse(readFileSync(join(work, 'model/metrics.json'), 'utf8')) as { onnx: { test: Fig }; baselines: { popular: Fig; cooccur: Fig } };
  const model = metrics.onnx.test.exclude_history['NDCG@10'];
  const popular = metrics.baselines.popular.exclude_history['NDCG@10'];
  expect(metrics.onnx.test.users).toBeGreaterThan(100);
  expect(model).toBeGreaterThan(popular);
  const report = readFileSync(join(work, 'model/report.md'), 'utf8');
  for (const v of [model, popular, metrics.baselines.cooccur.exclude_history['NDCG@10']]) expect(report).toContain(` ${v.toFixed(4)} |`);
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => window.localshelfReady === true);
  const out = await page.evaluate(async () => {
    const catalog = (await (await fetch('/store/catalog.json')).json()) as { items: { id: string; title: string; category?: string }[] };
    const r = await window.localshelf.createRecommender({ model: '/store/manifest.json', storageName: 'own-store' });
    const popular = await r.recommend({ k: 10 });
    const seeds = popular.items.slice(3, 6).map((i) => i.id);
    for (const itemId of seeds) await r.track({ type: 'view', itemId });
    await r.track({ type: 'add_to_cart', itemId: seeds[0]! });
    const rec = await r.recommend({ k: 10 });
    const related = await r.related(seeds[0]!, { k: 5 });
    const hits = await r.search(catalog.items[0]!.title.split(' ')[0]!, { k: 3 });
    const info = { items: r.model.items, name: r.model.name };
    r.dispose();
    return { ids: catalog.items.map((i) => i.id), seeds, popular: popular.source, rec, related: related.items.map((i) => i.id), hits: hits.items.length, info };
  });
  expect(out.info.items).toBe(out.ids.length);
  expect(out.info.name).toBe('synthetic-store');
  expect(out.popular).toBe('popular');
  expect(out.rec.source).toBe('personal');
  expect(out.rec.items).toHaveLength(10);
  for (const item of out.rec.items) expect(out.ids).toContain(item.id);
  for (const id of out.seeds) expect(out.rec.items.map((i) => i.id)).not.toContain(id);
  expect(out.related).toHaveLength(5);
  expect(out.hits).toBeGreaterThan(0);
});
