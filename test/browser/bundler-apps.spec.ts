/**
 * The packed package in three storefront builds (test/consumer/bundler-apps.ts): Vite + React through
 * `localshelf/react`, webpack 5, Next.js (App Router, static export, the library imported at the top of a client
 * component). Each app, served as static files, shows recommendations from the shipped model in headless
 * Chromium; nothing is requested from another origin; the WASM-only default entry emits and downloads exactly one
 * onnxruntime-web wasm (no WebGPU build; downloaded for search's text encoder, recommend() runs without it); Next.js rendered the page on the server with the import in it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startStaticServer, type StaticServer } from '../../server/static-server';
import { BUNDLER_APPS, buildBundlerApps, type BuiltApp } from '../consumer/bundler-apps';

let built: ReturnType<typeof buildBundlerApps>;
const servers = new Map<string, StaticServer>();

test.describe.configure({ mode: 'serial', timeout: 600_000 });

test.beforeAll(async () => {
  test.setTimeout(600_000);
  built = buildBundlerApps((line) => console.log(`[bundler-apps] ${line}`));
  for (const app of built.apps) servers.set(app.kind, await startStaticServer({ root: app.root }));
});

test.afterAll(async () => {
  for (const s of servers.values()) await s.close();
  built?.dispose();
});

const app = (kind: string): BuiltApp => built.apps.find((a) => a.kind === kind)!;

for (const kind of BUNDLER_APPS) {
  test(`${kind}: built from the packed package, it recommends from the shipped model on WASM, one wasm emitted and downloaded`, async ({ page }) => {
    const server = servers.get(kind)!;
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) external.push(r.url());
    });
    page.on('pageerror', (e) => console.log(`[${kind}] pageerror`, e.message));
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => (window as { shopResult?: unknown }).shopResult !== undefined, undefined, { timeout: 90_000 });
    const result = await page.evaluate(() => (window as unknown as { shopResult: { items?: { id: string }[]; source?: string; error?: string; backend?: string; skipped?: { name: string; reason: string }[] } }).shopResult);
    expect(result.error).toBeUndefined();
    expect(result.source).toBe('personal');
    expect(result.items).toHaveLength(5);
    expect(result.items!.map((i) => i.id)).not.toContain('B004756YJA');
    await expect(page.locator('#recommended li')).toHaveCount(5);
    expect(result.backend).toBe('wasm');
    expect(result.skipped).toEqual([{ name: 'webgpu', reason: expect.stringContaining('localshelf/webgpu') }]);
    expect(external).toEqual([]);
    const wasmEmitted = app(kind).assets.filter((a) => a.file.endsWith('.wasm'));
    expect(wasmEmitted.map((a) => a.file)).toHaveLength(1);
    expect(wasmEmitted[0]!.file).not.toMatch(/jsep/);
    // recommend() runs on the library's own encoder; search's text encoder starts onnxruntime-web soon after
    const wasmRequested = (): string[] => server.requests.filter((r) => r.url.endsWith('.wasm')).map((r) => r.url);
    await expect.poll(() => wasmRequested().length, { timeout: 30_000 }).toBeGreaterThan(0);
    await page.waitForTimeout(500);
    expect(wasmRequested()).toHaveLength(1);
    console.log(`[bundler-apps] ${kind} (${app(kind).bundler}): install ${app(kind).installSeconds.toFixed(1)} s, build ${app(kind).buildSeconds.toFixed(1)} s, ${app(kind).assets.length} files, ${(app(kind).assets.reduce((n, a) => n + a.bytes, 0) / 1e6).toFixed(2)} MB`);
  });
}

test('next: the page was rendered on the server with localshelf imported in it (no Worker, indexedDB or navigator at import)', () => {
  const html = readFileSync(join(app('next').root, 'index.html'), 'utf8');
  expect(html).toContain('Recommended for you');
  expect(html).toContain('id="recommended"');
});
