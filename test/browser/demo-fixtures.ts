/**
 * Fixtures for the demo storefront's browser tests: the demo built against dist/ (as `npm run demo` builds it),
 * served by the repository's static server (real 404s, a request log), with a switch that slows the model
 * download so the progress bar can be seen, and a screenshot helper that keeps PNGs as test artifacts.
 */
import { test as base, expect, type Locator, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startStaticServer, type Route, type StaticServer } from '../../server/static-server';

const repo = fileURLToPath(new URL('../..', import.meta.url));
export const DEMO_ROOT = `${repo}/examples/storefront/dist`;
/** The model folder under public/models the shop runs on (the shipped Beauty model unless DEMO_MODEL says otherwise). */
export const MODEL_NAME = process.env.DEMO_MODEL ?? 'beauty';
/** Path of the shop's front page: the shipped model needs no query string. */
export const HOME = MODEL_NAME === 'beauty' ? '/' : `/?model=./models/${MODEL_NAME}/manifest.json`;

/** The model's manifest as shipped. */
export function manifest(): { files: { encoder: string; items: string; catalog: string }; numItems: number } {
  return JSON.parse(readFileSync(`${repo}/public/models/${MODEL_NAME}/manifest.json`, 'utf8'));
}

/** Catalog ids of the product cards inside a locator, in order. */
export async function cardIds(scope: Locator): Promise<string[]> {
  return scope.locator('a.card').evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.id ?? ''));
}

export interface DemoServer extends StaticServer {
  /** Milliseconds to hold back the encoder and item matrix, which only the worker downloads (0: none). */
  settings: { modelDelayMs: number };
}

export interface DemoFixtures {
  /** Saves a full-page screenshot as `<name>.png` under this test's output folder (test-results/) and attaches it. */
  shot: (page: Page, name: string) => Promise<void>;
}

function buildDemo(): void {
  if (!existsSync(`${repo}/dist/localshelf.js`)) throw new Error('dist/localshelf.js is missing: run `npm run build` before the browser tests');
  if (!existsSync(`${repo}/public/models/${MODEL_NAME}/manifest.json`)) throw new Error(`public/models/${MODEL_NAME}/manifest.json is missing: the demo needs the shipped Beauty model`);
  execFileSync('npx', ['vite', 'build', '--config', 'examples/storefront/vite.config.ts', '--logLevel', 'warn'], { cwd: repo, stdio: 'inherit' });
}

export const test = base.extend<DemoFixtures, { demo: DemoServer }>({
  demo: [
    async ({}, use) => {
      buildDemo();
      const settings = { modelDelayMs: 0 };
      const modelFiles = new RegExp(`^/models/${MODEL_NAME}/(?!manifest\\.json|catalog\\.json)`);
      const slowModel: Route = async (req) => {
        if (settings.modelDelayMs > 0 && modelFiles.test(req.url ?? '')) {
          await new Promise((ok) => setTimeout(ok, settings.modelDelayMs));
        }
        return false;
      };
      const server = await startStaticServer({ root: DEMO_ROOT, routes: [slowModel] });
      await use({ ...server, settings });
      await server.close();
    },
    { scope: 'worker', timeout: 240_000 },
  ],
  shot: async ({}, use, testInfo) => {
    await use(async (page, name) => {
      const path = testInfo.outputPath(`${name}.png`);
      await page.screenshot({ path, fullPage: true });
      await testInfo.attach(name, { path, contentType: 'image/png' });
    });
  },
});

export { expect };
