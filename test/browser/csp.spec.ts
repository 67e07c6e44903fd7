/**
 * A storefront with a strict Content-Security-Policy runs the library: no 'unsafe-eval', no inline script, no
 * CDN; 'wasm-unsafe-eval' is the one allowance WebAssembly needs (onnxruntime-web and the SIMD scorer compile
 * wasm). Without it, start-up fails with a typed error instead of hanging. README "Content-Security-Policy".
 */
import { fileURLToPath } from 'node:url';
import { startStaticServer, type StaticServer } from '../../server/static-server';
import { expect, MODEL, test } from './fixtures';

const root = fileURLToPath(new URL('./.app-dist', import.meta.url));
export const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'";
const WITHOUT_WASM = STRICT_CSP.replace(" 'wasm-unsafe-eval'", '');

const withCsp = (csp: string): Promise<StaticServer> =>
  startStaticServer({
    root,
    routes: [
      (_req, res) => {
        res.setHeader('Content-Security-Policy', csp);
        return false;
      },
    ],
  });

test("under a strict CSP ('wasm-unsafe-eval', nothing else loosened) recommendations and search work, with no violation", async ({ page }) => {
  const server = await withCsp(STRICT_CSP);
  try {
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => window.localshelfReady === true);
    const out = await page.evaluate(async (model) => {
      const seen: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
      const r = await window.localshelf.createRecommender({ model, storageName: 'csp' });
      await r.track({ type: 'view', itemId: 'B004756YJA' });
      const rec = await r.recommend({ k: 5 });
      const hits = await r.search('nail polish', { k: 3 });
      const scorer = r.model.scorer;
      r.dispose();
      return { source: rec.source, items: rec.items.length, hits: hits.items.length, scorer, seen };
    }, MODEL);
    expect(out).toMatchObject({ source: 'personal', items: 5, hits: 3, scorer: 'wasm-simd', seen: [] });
    expect(violations).toEqual([]);
  } finally {
    await server.close();
  }
});

test("without 'wasm-unsafe-eval' start-up fails with BACKEND_UNAVAILABLE, not a hang", async ({ page }) => {
  const server = await withCsp(WITHOUT_WASM);
  try {
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => window.localshelfReady === true);
    const code = await page.evaluate(
      (model) =>
        window.localshelf.createRecommender({ model, storageName: 'csp-no-wasm', initTimeoutMs: 30_000 }).then(
          (r) => (r.dispose(), 'resolved'),
          (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
        ),
      MODEL,
    );
    expect(code).toMatch(/^BACKEND_UNAVAILABLE: /);
  } finally {
    await server.close();
  }
});
