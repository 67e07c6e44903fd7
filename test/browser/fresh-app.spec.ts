/**
 * A new storefront app installs the packed package with plain `npm install` (no .npmrc, no environment
 * variable), builds it with Vite, and shows recommendations in headless Chromium: test/consumer/fresh-app.ts.
 */
import { expect, test } from '@playwright/test';
import { startStaticServer, type StaticServer } from '../../server/static-server';
import { buildFreshApp, type FreshApp } from '../consumer/fresh-app';

let app: FreshApp;
let server: StaticServer;

test.describe.configure({ timeout: 300_000 });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  app = buildFreshApp({ log: (line) => console.log(`[fresh-app] ${line}`) });
  server = await startStaticServer({ root: app.dist });
});

test.afterAll(async () => {
  await server?.close();
  app?.dispose();
});

test('the package holds the library only, and installs without install scripts or a second runtime', () => {
  expect(app.tarball.files.filter((f) => !/^(dist\/|package\.json$|README\.md$|LICENSE)/.test(f))).toEqual([]);
  expect(app.tarball.files.some((f) => f.startsWith('dist/models/') || f.startsWith('dist/adapters/'))).toBe(false);
  // protobufjs (onnxruntime-web's) has a postinstall that only compares version strings in package.json files;
  // any other install script in localshelf's tree (a download, a native build) fails this test.
  expect(app.installScripts.filter((p) => p !== 'node_modules/protobufjs')).toEqual([]);
  const names = app.packages.map((p) => p.name);
  for (const heavy of ['onnxruntime-node', '@huggingface/transformers', 'sharp']) expect(names).not.toContain(heavy);
  const ort = app.packages.filter((p) => p.name === 'onnxruntime-web');
  expect(ort.map((p) => `${p.path}@${p.version}`)).toEqual(['node_modules/onnxruntime-web@1.30.0']);
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
  // Only the wasm the WASM path loads is downloaded: one onnxruntime-web build.
  const wasm = server.requests.filter((r) => r.url.endsWith('.wasm')).map((r) => r.url);
  expect(wasm).toHaveLength(1);
});
