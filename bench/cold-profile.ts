/**
 * Cold start, step by step: fresh on-disk browser profiles visit the start-up page (bench/app/startup.ts) once each;
 * prints the page's progress timeline (ms since navigation) and any console line starting with `[cold]` that a
 * temporary `console.log` in the page or the worker prints while profiling. A profiling aid: BENCHMARKS.md's figures
 * come from `npm run bench`. `COLD_TEXT=0` starts without the text encoder. Run `npm run build` first.
 *
 *   npx tsx bench/cold-profile.ts [visits=3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { CHROMIUM_ARGS } from '../playwright.config';
import { startBenchServer } from './serve';

const repo = fileURLToPath(new URL('..', import.meta.url));
const visits = Number(process.argv[2] ?? 3);
const text = process.env.COLD_TEXT !== '0';
await build({ configFile: join(repo, 'bench/vite.config.ts'), logLevel: 'warn' });
const server = await startBenchServer(join(repo, 'bench/out/app'), false);
try {
  for (let v = 0; v < visits; v++) {
    const dir = mkdtempSync(join(tmpdir(), 'cold-'));
    const context = await chromium.launchPersistentContext(dir, { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS], headless: true });
    const lines: string[] = [];
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => m.text().startsWith('[cold]') && lines.push(m.text()));
    const t = Date.now();
    await page.goto(`${server.url}/startup.html?model=${encodeURIComponent('./models/beauty/manifest.json')}${text ? '' : '&text=0'}`);
    await page.waitForFunction(() => window.startupResult !== undefined, null, { timeout: 120_000 });
    const r = (await page.evaluate(() => window.startupResult))!;
    console.log(`visit ${v}: script ${r.scriptStart.toFixed(0)} ready ${r.ready.toFixed(0)} first ${r.first.toFixed(0)} (since createRecommender ${(r.first - r.scriptStart).toFixed(0)}) ${r.source} [${Date.now() - t} ms wall]`);
    for (const [at, status, file] of r.progress) console.log(`  ${at.toFixed(1)} ${status} ${file}`);
    for (const l of lines) console.log(`  ${l}`);
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  await server.close();
}
