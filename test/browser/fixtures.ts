/**
 * Playwright fixtures: a real HTTP server over the built test page (with routes that serve corrupt and
 * missing model files), and a page that has loaded the built package.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startStaticServer, type Route, type StaticServer } from '../../server/static-server';
import { protobufFieldRanges } from '../../workers/engine/encoder/onnx-weights';

const repo = fileURLToPath(new URL('../..', import.meta.url));
export const MODEL = '/models/beauty/manifest.json';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * An ONNX model file without its metadata entries (ModelProto field 14): the LoRA-free graph as it was before it
 * carried the `localshelf.encoder` description.
 */
function withoutMetadata(bytes: Uint8Array): Uint8Array {
  return Buffer.concat(protobufFieldRanges(bytes).filter(([field]) => field !== 14).map(([, a, b]) => bytes.subarray(a, b)));
}

/** Requests seen per `flaky-text-<nonce>` model: its text model fails the first two times. */
const flakyTextRequests = new Map<string, number>();

/**
 * `/broken/<kind>/manifest.json`: the real model with one thing wrong. `flaky-text-<nonce>`: the real model whose
 * text encoder file answers 503 twice, then normally. `undescribed`: the LoRA-free graph without its
 * `localshelf.encoder` description (the engine then runs it in onnxruntime).
 */
const brokenModels: Route = (req, res) => {
  const m = /^\/broken\/([a-z0-9-]+)\/(.*)$/.exec(req.url ?? '');
  if (!m) return false;
  const [, kind, file] = m as unknown as [string, string, string];
  const manifest = JSON.parse(readFileSync(`${repo}/public/models/beauty/manifest.json`, 'utf8'));
  const garbage = new TextEncoder().encode('this is not an onnx model '.repeat(40));
  const undescribed = kind === 'undescribed' ? withoutMetadata(readFileSync(`${repo}/public/models/beauty/${manifest.files.encoderBase}`)) : undefined;
  const send = (status: number, body: Uint8Array | string, type = 'application/octet-stream'): true => {
    res.writeHead(status, { 'Content-Type': type }).end(body);
    return true;
  };
  if (file === 'manifest.json') {
    if (kind === 'corrupt-encoder') {
      // both graphs: the engine starts on the LoRA-free one when the folder has it
      manifest.sha256[manifest.files.encoder] = sha(garbage);
      if (manifest.files.encoderBase) manifest.sha256[manifest.files.encoderBase] = sha(garbage);
    }
    if (kind === 'missing-items') manifest.files.items = 'nowhere.lsim';
    if (undescribed) manifest.sha256[manifest.files.encoderBase] = sha(undescribed);
    if (kind === 'tampered-catalog') manifest.sha256[manifest.files.catalog] = '0'.repeat(64);
    if (kind === 'bad-manifest') return send(200, '{"format": 1, "dim": ', 'application/json');
    return send(200, JSON.stringify(manifest), 'application/json');
  }
  if (kind === 'corrupt-encoder' && (file === manifest.files.encoder || file === manifest.files.encoderBase)) return send(200, garbage);
  if (undescribed && file === manifest.files.encoderBase) return send(200, undescribed);
  if (kind.startsWith('flaky-text') && file.startsWith('text/') && manifest.sha256[file]) {
    const seen = flakyTextRequests.get(kind) ?? 0;
    if (file === 'text/onnx/model_quantized.onnx' && seen < 2) {
      flakyTextRequests.set(kind, seen + 1);
      return send(503, 'busy', 'text/plain');
    }
    return send(200, readFileSync(`${repo}/public/models/beauty/${file}`));
  }
  // Every other file is the real one, served from this folder.
  if (Object.values(manifest.files).includes(file)) return send(200, readFileSync(`${repo}/public/models/beauty/${file}`));
  return send(404, 'not found', 'text/plain');
};

/**
 * `/attrs/<file>`: the shipped model with catalog attributes added to catalog.json (brand in turn Alpha, Beta,
 * Gamma, Delta; category "Beauty > Skin > Creams" for even rows and "Beauty > Nails" for odd ones; price 1..50;
 * every fifth item out of stock), its sha256 in the manifest updated: a catalog for the business-rules tests.
 */
export const ATTRS_MODEL = '/attrs/manifest.json';
let attrsCatalog: Buffer | undefined;
const attributeModel: Route = (req, res) => {
  const m = /^\/attrs\/(.*)$/.exec(req.url ?? '');
  if (!m) return false;
  const file = m[1]!;
  const dir = `${repo}/public/models/beauty`;
  if (!attrsCatalog) {
    const catalog = JSON.parse(readFileSync(`${dir}/catalog.json`, 'utf8')) as { items: Record<string, unknown>[] };
    catalog.items.forEach((item, i) => {
      Object.assign(item, { brand: ['Alpha', 'Beta', 'Gamma', 'Delta'][i % 4], category: i % 2 ? 'Beauty > Nails' : 'Beauty > Skin > Creams', price: (i % 50) + 1, inStock: i % 5 !== 0 });
    });
    attrsCatalog = Buffer.from(JSON.stringify(catalog));
  }
  if (file === 'manifest.json') {
    const manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8'));
    manifest.sha256['catalog.json'] = sha(attrsCatalog);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(manifest));
  } else if (file === 'catalog.json') res.writeHead(200, { 'Content-Type': 'application/json' }).end(attrsCatalog);
  else {
    try {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(readFileSync(`${dir}/${file}`));
    } catch {
      res.writeHead(404).end();
    }
  }
  return true;
};

export interface Fixtures {
  server: StaticServer;
  shop: Page;
}

export const test = base.extend<{ shop: Page }, { server: StaticServer; isolatedServer: StaticServer }>({
  isolatedServer: [
    async ({}, use) => {
      const server = await startStaticServer({ root: `${repo}/test/browser/.app-dist`, isolated: true });
      await use(server);
      await server.close();
    },
    { scope: 'worker' },
  ],
  server: [
    async ({}, use) => {
      const server = await startStaticServer({ root: `${repo}/test/browser/.app-dist`, routes: [brokenModels, attributeModel] });
      await use(server);
      await server.close();
    },
    { scope: 'worker' },
  ],
  shop: async ({ page, server }, use) => {
    page.on('pageerror', (e) => console.log('[pageerror]', e.message));
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => window.localshelfReady === true);
    await use(page);
  },
});

export { expect };
