/**
 * A new storefront app installs the packed package with plain `npm install` (no .npmrc, no environment
 * variable), builds it with Vite, and shows recommendations in headless Chromium: test/consumer/fresh-app.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startStaticServer, type StaticServer } from '../../server/static-server';
import { buildFreshApp, type FreshApp } from '../consumer/fresh-app';

let app: FreshApp;
let server: StaticServer;

test.describe.configure({ timeout: 300_000 });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  app = buildFreshApp({ log: (line) => console.log(`[fresh-app] ${line}`), train: true });
  server = await startStaticServer({ root: app.dist });
});

test.afterAll(async () => {
  await server?.close();
  app?.dispose();
});

test('the package holds the library only, and installs without install scripts or a second runtime', () => {
  // The library, and the training command (bin + the Python pipeline and its tokenizer copy), nothing else.
  expect(app.tarball.files.filter((f) => !/^(dist\/|bin\/localshelf-train\.mjs$|training\/|package\.json$|README\.md$|LICENSE)/.test(f))).toEqual([]);
  const training = app.tarball.files.filter((f) => f.startsWith('training/'));
  expect(training.filter((f) => !/(\.py|^training\/assets\/tokenizer\/.*|^training\/tools\/run_onnx\.mjs)$/.test(f))).toEqual([]);
  expect(training.some((f) => f.startsWith('training/tests/') || f.startsWith('training/out/'))).toBe(false);
  expect(app.tarball.files.some((f) => f.startsWith('dist/models/') || f.startsWith('dist/adapters/'))).toBe(false);
  // protobufjs (onnxruntime-web's) has a postinstall that only compares version strings in package.json files;
  // any other install script in localshelf's tree (a download, a native build) fails this test.
  expect(app.installScripts.filter((p) => p !== 'node_modules/protobufjs')).toEqual([]);
  const names = app.packages.map((p) => p.name);
  for (const heavy of ['onnxruntime-node', '@huggingface/transformers', 'sharp']) expect(names).not.toContain(heavy);
  const ort = app.packages.filter((p) => p.name === 'onnxruntime-web');
  expect(ort.map((p) => `${p.path}@${p.version}`)).toEqual(['node_modules/onnxruntime-web@1.30.0']);
});

test('npx localshelf-train runs from the installed package and writes a model folder with its report', () => {
  const t = app.trained!;
  expect(t.files).toEqual(expect.arrayContaining(['manifest.json', 'encoder.int8.onnx', 'items.lsim', 'catalog.json', 'report.md', 'text']));
  const manifest = JSON.parse(readFileSync(join(t.out, 'manifest.json'), 'utf8')) as { name: string };
  expect(manifest.name).toBe('own-store');
  // The run's figures reach the report; the int8 check says why it did not run (no onnxruntime-node in a shop).
  type Fig = { users: number; exclude_history: { 'NDCG@10': number } };
  const metrics = JSON.parse(readFileSync(join(t.out, 'metrics.json'), 'utf8')) as { pytorch: { test: Fig }; baselines: { popular: Fig }; onnx_note?: string };
  expect(metrics.pytorch.test.users).toBeGreaterThan(0);
  expect(metrics.onnx_note).toMatch(/not measured: .*npm i -D onnxruntime-node/);
  const report = readFileSync(join(t.out, 'report.md'), 'utf8');
  for (const f of [metrics.pytorch.test, metrics.baselines.popular]) expect(report).toContain(`| ${f.users.toLocaleString('en-US')} | `);
  expect(report).toContain(` ${metrics.pytorch.test.exclude_history['NDCG@10'].toFixed(4)} |`);
  // the catalog is the example store's: 60 products
  const catalog = JSON.parse(readFileSync(join(t.out, 'catalog.json'), 'utf8')) as { items: unknown[] } | unknown[];
  expect(Array.isArray(catalog) ? catalog.length : catalog.items.length).toBe(60);
});

test('the built app recommends, leaving out the item just viewed', async ({ page }) => {
  const external: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) external.push(r.url());
  });
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => (window as { shopResult?: unknown }).shopResult !== undefined, undefined, { timeout: 60_000 });
  const result = await page.evaluate(() => (window as unknown as { shopResult: { items?: { id: string; title: string }[]; source?: string; error?: string } }).shopResult);
  expect(result.error).toBeUndefined();
  expect(result.source).toBe('personal');
  expect(result.items).toHaveLength(5);
  expect(result.items!.map((i) => i.id)).not.toContain('B004756YJA');
  for (const item of result.items!) expect(item.id).toMatch(/^[A-Z0-9]{10}$/);
  await expect(page.locator('#recommended li')).toHaveCount(5);
  expect(external).toEqual([]);
  // Only the wasm the WASM path loads is downloaded: one onnxruntime-web build, for search's text encoder (recommend()
  // runs on the library's own encoder, which needs none), soon after the first recommendation. The default entry is
  // WASM-only and says so; its build emits no WebGPU (JSEP) wasm at all.
  const wasm = (): string[] => server.requests.filter((r) => r.url.endsWith('.wasm')).map((r) => r.url);
  await expect.poll(() => wasm().length, { timeout: 30_000 }).toBeGreaterThan(0);
  await page.waitForTimeout(500);
  expect(wasm()).toHaveLength(1);
  const r = result as unknown as { backend: string; skipped: { name: string; reason: string }[] };
  expect(r.backend).toBe('wasm');
  expect(r.skipped).toEqual([{ name: 'webgpu', reason: expect.stringContaining('localshelf/webgpu') }]);
  expect(app.assets.filter((a) => a.file.endsWith('.wasm')).map((a) => a.file)).toEqual([expect.stringMatching(/^ort-wasm-simd-threaded-[\w-]+\.wasm$/)]);
});
