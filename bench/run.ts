/**
 * `npm run bench`: builds the bench pages against dist/, writes the synthetic 100k-item model, serves both
 * (plain and cross-origin isolated), drives Debian's headless Chromium through every measurement, and writes
 * BENCHMARKS.md (raw samples in bench/out/results.json).
 *
 * Environment: BENCH_QUICK=1 (few iterations, report to bench/out/BENCHMARKS.quick.md), BENCH_MAX_LOAD=3 and
 * BENCH_WAIT_MIN=20 (wait for the 1-minute load average to drop below 3, at most 20 minutes), CHROMIUM_PATH,
 * BENCH_CHROMIUM_ARGS (extra flags, e.g. to reach a real GPU).
 */
import { seededRandom } from '../tools/lib/random-adapter';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { build } from 'vite';
import { categoryQuery, documentFrequency, sample } from '../eval/search/queries';
import { CHROMIUM_ARGS } from '../playwright.config';
import { load, machine, waitForQuiet } from './machine';
import { writeReport } from './report';
import type { Results, Settings } from './results';
import { startBenchServer } from './serve';
import { buildFreshApp } from '../test/consumer/fresh-app';
import { freshAppSizes, measureSizes } from './sizes';
import { gpuSuite, openBench, recommendSuite, searchSuite, startupSuite, trackAndHistorySuite, type Ctx } from './suites';
import { writeSyntheticModel } from './synthetic-model';
import { withKeptSections } from '../tools/lib/kept-sections';

const repo = fileURLToPath(new URL('..', import.meta.url));
const out = join(repo, 'bench/out');
const app = join(out, 'app');
const quick = process.env.BENCH_QUICK === '1';
const started = Date.now();
const log = (s: string): void => console.log(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${s}`);

const settings: Settings = quick
  ? {
      quick,
      recommendN: { small: 20, large: 10, warmup: 3, gpu: 3 },
      kernelSamples: 5,
      startup: { contexts: 1, revisits: 1, lexicalContexts: 1, browsing: { contexts: 1, revisits: 2, stayMs: 2000, everyMs: 500 } },
      track: { burst: 2000, stream: 2000, chunk: 100, serial: 50 },
      history: { events: 10_000, samples: 2, inits: 1 },
      search: { queries: 20, warmup: 3 },
    }
  : {
      quick,
      recommendN: { small: 500, large: 300, warmup: 20, gpu: 10 },
      kernelSamples: 60,
      startup: { contexts: 5, revisits: 2, lexicalContexts: 2, browsing: { contexts: 3, revisits: 3, stayMs: 5000, everyMs: 500 } },
      track: { burst: 20_000, stream: 20_000, chunk: 100, serial: 500 },
      history: { events: 10_000, samples: 9, inits: 5 },
      search: { queries: 100, warmup: 10 },
    };

/** A seeded Fisher-Yates shuffle. */
function shuffle<T>(xs: T[], seed: number): T[] {
  const a = [...xs];
  const random = seededRandom(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** The same 100 (or fewer) queries every run: the two most common content words of sampled catalog titles. */
function searchQueries(titles: string[], n: number): string[] {
  const df = documentFrequency(titles);
  const out: string[] = [];
  for (const i of sample(titles.length, 20 * n, 3)) {
    const q = categoryQuery(titles[i]!, df);
    if (q && !out.includes(q)) out.push(q);
    if (out.length === n) break;
  }
  return out;
}

async function main(): Promise<void> {
  if (!existsSync(join(repo, 'dist/localshelf.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');
  const maxLoad = Number(process.env.BENCH_MAX_LOAD ?? 0);
  await waitForQuiet(maxLoad, Number(process.env.BENCH_WAIT_MIN ?? 20), log);

  log('building the bench pages against dist/');
  await build({ configFile: join(repo, 'bench/vite.config.ts'), logLevel: 'warn' });
  log('writing the synthetic 100k-item model');
  const synthetic = writeSyntheticModel(join(repo, 'public/models/beauty'), join(app, 'models/synthetic-100k'), 100_000);
  const catalog = JSON.parse(readFileSync(join(repo, 'public/models/beauty/catalog.json'), 'utf8')) as { items: { id: string; title: string }[] };
  // History items spread over the catalog: a seeded shuffle of the Beauty ids, every 997th synthetic id.
  const ids = { beauty: shuffle(catalog.items.map((it) => it.id), 5), synthetic: synthetic.ids.filter((_, i) => i % 997 === 0) };
  const queries = searchQueries(catalog.items.map((it) => it.title), settings.search.queries);
  log('a fresh Vite app from the packed package (test/consumer/fresh-app.ts)');
  const fresh = buildFreshApp({ log });
  const freshSizes = freshAppSizes(fresh);
  fresh.dispose();

  const plain = await startBenchServer(app, false);
  const isolated = await startBenchServer(app, true);
  const executable = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const args = [...CHROMIUM_ARGS, ...(process.env.BENCH_CHROMIUM_ARGS?.split(/\s+/).filter(Boolean) ?? [])];
  const browser = await chromium.launch({ executablePath: executable, args, headless: true });
  const ctx: Ctx = { settings, log, ids };
  const loadStart = load();
  log(`Chromium ${browser.version()}, load average ${loadStart.join(' ')}`);
  try {
    const profiles: string[] = [];
    const profile = (): Promise<BrowserContext> => {
      const dir = mkdtempSync(join(tmpdir(), 'localshelf-bench-'));
      profiles.push(dir);
      return chromium.launchPersistentContext(dir, { executablePath: executable, args, headless: true });
    };
    const { samples: startup, wasmLoaded } = await startupSuite(profile, plain, ctx).finally(() => profiles.forEach((d) => rmSync(d, { recursive: true, force: true })));
    const page = await openBench(browser, plain, log);
    const single = await recommendSuite(page, 'plain', ctx);
    const gpu = await gpuSuite(page, ctx);
    const { track, history } = await trackAndHistorySuite(page, ctx);
    const search = await searchSuite(page, queries, ctx);
    await page.context().close();
    const isoPage = await openBench(browser, isolated, log);
    const multi = await recommendSuite(isoPage, 'isolated', ctx);
    await isoPage.context().close();
    log('sizes');
    const results: Results = {
      date: new Date().toISOString(),
      command: quick ? 'BENCH_QUICK=1 npm run bench' : maxLoad > 0 ? `BENCH_MAX_LOAD=${maxLoad} npm run bench` : 'npm run bench',
      machine: machine(),
      browser: { version: browser.version(), executable, args },
      loadStart,
      loadEnd: load(),
      durationS: Math.round((Date.now() - started) / 1000),
      settings,
      recommend: [...single.recommend, ...multi.recommend, ...gpu.recommend],
      kernels: [...single.kernels, ...multi.kernels],
      gpu: gpu.gpu,
      startup,
      track,
      history,
      search,
      sizes: [...measureSizes(repo, app, synthetic.folder, wasmLoaded), ...freshSizes],
      wasmLoaded,
    };
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 1));
    const target = quick ? join(out, 'BENCHMARKS.quick.md') : join(repo, 'BENCHMARKS.md');
    writeFileSync(target, withKeptSections(writeReport(results), target));
    log(`wrote ${target} (load average now ${results.loadEnd.join(' ')})`);
  } finally {
    await browser.close();
    await plain.close();
    await isolated.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
