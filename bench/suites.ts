/**
 * The measurements, each driving the bench page through `window.bench` (bench/app/main.ts) or the start-up page
 * (bench/app/startup.ts) in real headless Chromium.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { StaticServer } from '../server/static-server';
import type { Kernel } from './app/kernels.worker';
import { load } from './machine';
import type { GpuSection, KernelRow, RecommendRow, Results, Settings, StartupSample } from './results';

export const BEAUTY = './models/beauty/manifest.json';
export const SYNTHETIC = './models/synthetic-100k/manifest.json';
const KERNELS: Kernel[] = ['floor', 'floor32', 'floor8', 'int8', 'int8+top10', 'int8-js', 'brute', 'brute+top10'];

export interface Ctx {
  settings: Settings;
  log: (s: string) => void;
  /** Catalog ids of each model, for history. */
  ids: { beauty: string[]; synthetic: string[] };
}

/** Opens the harness page of `server` and waits until `window.bench` is there. */
export async function openBench(browser: Browser, server: StaticServer, log: (s: string) => void): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => log(`[pageerror] ${e.message}`));
  page.on('console', (m) => (m.type() === 'error' ? log(`[console] ${m.text()}`) : undefined));
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => window.benchReady === true);
  return page;
}

const itemsUrl = (manifest: string): string => manifest.replace(/manifest\.json$/, 'items.lsim');

/** recommend() on WASM at 12k and 100k items, and the reference kernels over the same matrices. */
export async function recommendSuite(page: Page, which: 'plain' | 'isolated', c: Ctx): Promise<{ recommend: RecommendRow[]; kernels: KernelRow[] }> {
  const isolated = await page.evaluate(() => window.bench.crossOriginIsolated());
  if (isolated !== (which === 'isolated')) throw new Error(`the ${which} page is ${isolated ? '' : 'not '}cross-origin isolated`);
  const recommend: RecommendRow[] = [];
  const kernels: KernelRow[] = [];
  const { recommendN: n, kernelSamples } = c.settings;
  for (const [model, ids, count] of [
    [BEAUTY, c.ids.beauty, n.small],
    [SYNTHETIC, c.ids.synthetic, n.large],
  ] as const) {
    c.log(`recommend: ${model} on WASM (${which} page), ${count} calls, kernels interleaved`);
    const run = await page.evaluate((o) => window.bench.recommend(o), {
      model,
      backend: 'wasm' as const,
      // the plain page: the default (the library's own encoder); the isolated page: onnxruntime-web with its threads
      runtime: which === 'isolated' ? ('onnxruntime' as const) : ('auto' as const),
      storageName: `bench-rec-${which}`,
      track: ids.slice(0, 50),
      warmup: n.warmup,
      n: count,
      kernels: { itemsUrl: itemsUrl(model), list: KERNELS, every: Math.max(1, Math.floor(count / kernelSamples)), minSampleMs: 2 },
    });
    const { kernels: k, ...rest } = run;
    if (!k) throw new Error('no kernel timings came back');
    const runtime = run.backend.runtime === 'localshelf' ? 'own encoder' : 'onnxruntime-web';
    recommend.push({ model, page: which, label: `WASM, ${runtime}, ${run.backend.threads} thread${run.backend.threads > 1 ? 's' : ''}`, run: rest, load: load() });
    kernels.push({ model, page: which, ...k });
  }
  return { recommend, kernels };
}

/** WebGPU: on a hardware adapter the full recommend suite; on SwiftShader only a few forced calls, labelled. */
export async function gpuSuite(page: Page, c: Ctx): Promise<{ gpu: GpuSection; recommend: RecommendRow[] }> {
  const probe = await page.evaluate(() => window.bench.gpuProbe());
  const recommend: RecommendRow[] = [];
  if (!probe.available) return { gpu: { probe, mode: 'none' }, recommend };
  const hardware = !probe.fallback;
  const { recommendN: n } = c.settings;
  const plan = hardware
    ? ([
        [BEAUTY, c.ids.beauty, n.small],
        [SYNTHETIC, c.ids.synthetic, n.large],
      ] as const)
    : ([[BEAUTY, c.ids.beauty, n.gpu]] as const);
  try {
    for (const [model, ids, count] of plan) {
      c.log(`recommend: ${model} on WebGPU (${hardware ? 'hardware adapter' : 'SwiftShader, forced'}), ${count} calls`);
      const run = await page.evaluate((o) => window.bench.recommend(o), {
        model,
        backend: (hardware ? 'auto' : 'webgpu') as 'auto' | 'webgpu',
        storageName: 'bench-rec-gpu',
        track: ids.slice(0, 50),
        warmup: hardware ? n.warmup : 2,
        n: count,
      });
      if (run.backend.name !== 'webgpu') throw new Error(`asked for WebGPU, got ${run.backend.name}: ${run.backend.reason}`);
      recommend.push({ model, page: 'plain', label: hardware ? 'WebGPU (hardware adapter)' : 'WebGPU on SwiftShader (software emulation, forced)', run, load: load() });
    }
    return { gpu: { probe, mode: hardware ? 'hardware' : 'swiftshader' }, recommend };
  } catch (e) {
    return { gpu: { probe, mode: hardware ? 'hardware' : 'swiftshader', error: String(e) }, recommend };
  }
}

/**
 * Time to first recommendation: each cold visit in a new browser profile (empty HTTP cache, empty IndexedDB),
 * then revisits in the same profile (files from the HTTP cache, the history and lexical index from IndexedDB).
 * `profile()` launches a browser on a fresh on-disk profile, as a shopper's browser has: an incognito-style
 * context keeps its HTTP cache in memory and would not hold onnxruntime's 14 MB wasm.
 */
export async function startupSuite(profile: () => Promise<BrowserContext>, server: StaticServer, c: Ctx): Promise<{ samples: StartupSample[]; wasmLoaded: string[] }> {
  const samples: StartupSample[] = [];
  const wasmLoaded = new Set<string>();
  const base = `${server.url}/startup.html?model=${encodeURIComponent(BEAUTY)}&seed=${c.ids.beauty.slice(0, 5).join(',')}`;
  const { contexts, lexicalContexts, revisits, browsing } = c.settings.startup;
  const plan = [
    ...Array<'default'>(contexts).fill('default'),
    ...Array<'lexical'>(lexicalContexts).fill('lexical'),
    ...Array<'browsing'>(browsing.contexts).fill('browsing'),
  ];
  for (const variant of plan) {
    const url =
      variant === 'lexical' ? `${base}&text=0` : variant === 'browsing' ? `${base}&stay=${browsing.stayMs}&every=${browsing.everyMs}` : base;
    const visits = variant === 'browsing' ? browsing.revisits : revisits;
    const context = await profile();
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => c.log(`[pageerror] ${e.message}`));
    try {
      for (let v = 0; v <= visits; v++) {
        const kind = v === 0 ? 'cold' : 'cached';
        const from = server.requests.length;
        await page.goto(url);
        await page.waitForFunction(() => window.startupResult !== undefined, null, { timeout: 300_000 });
        const result = (await page.evaluate(() => window.startupResult))!;
        if (result.error) throw new Error(`start-up page failed: ${result.error}`);
        const requested = server.requests.slice(from).map((r) => r.url);
        if (variant === 'default') requested.filter((u) => u.endsWith('.wasm')).forEach((u) => wasmLoaded.add(u));
        // Timing onnxruntime's start alone runs onnxruntime again in this profile, which could warm Chrome's code cache
        // for the visits after it: only after a profile's last visit.
        const attribution = v === visits ? await page.evaluate(() => window.benchAttribute()) : {};
        samples.push({ ...result, ...attribution, kind, variant, visit: v, requests: requested.length });
        c.log(
          `start-up ${kind} (${variant}): first recommendation at ${result.first.toFixed(0)} ms, ${result.longTasks.length} long tasks, ` +
            `${requested.length} requests${kind === 'cached' ? ` (${requested.map((u) => u.split('?')[0]).join(' ')})` : ''}`,
        );
      }
    } finally {
      await context.close();
    }
  }
  return { samples, wasmLoaded: [...wasmLoaded] };
}

/** track() throughput, then the history load with 10k stored events. */
export async function trackAndHistorySuite(page: Page, c: Ctx): Promise<{ track: Results['track']; history: Results['history'] }> {
  const t = c.settings.track;
  c.log(`track: burst ${t.burst}, stream ${t.stream} in chunks of ${t.chunk}, ${t.serial} one at a time`);
  const tr = await page.evaluate((o) => window.bench.track(o), { model: BEAUTY, ids: c.ids.beauty, ...t });
  const track = { ...tr, load: load() };

  const h = c.settings.history;
  c.log(`history: seeding ${h.events} events`);
  const events = await page.evaluate((o) => window.bench.seedHistory(o), { model: BEAUTY, storageName: 'bench-history-10k', ids: c.ids.beauty, events: h.events });
  await page.evaluate((o) => window.bench.seedHistory(o), { model: BEAUTY, storageName: 'bench-history-0', ids: c.ids.beauty, events: 0 });
  const full = await page.evaluate((o) => window.bench.historyLoad(o), { storageName: 'bench-history-10k', samples: h.samples, maxLen: 50 });
  const empty = await page.evaluate((o) => window.bench.historyLoad(o), { storageName: 'bench-history-0', samples: h.samples, maxLen: 50 });
  if (full.events !== events) throw new Error(`seeded ${events} events, the history load read ${full.events}`);
  c.log(`history: createRecommender() with ${events} vs 0 stored events, ${h.inits} times each`);
  const init10k: number[] = [];
  const init0: number[] = [];
  // First inits build each database's lexical index; not timed.
  await page.evaluate((o) => window.bench.initTimes(o), { model: BEAUTY, storageName: 'bench-history-10k', n: 1 });
  await page.evaluate((o) => window.bench.initTimes(o), { model: BEAUTY, storageName: 'bench-history-0', n: 1 });
  for (let i = 0; i < h.inits; i++) {
    init10k.push(...(await page.evaluate((o) => window.bench.initTimes(o), { model: BEAUTY, storageName: 'bench-history-10k', n: 1 })).ms);
    init0.push(...(await page.evaluate((o) => window.bench.initTimes(o), { model: BEAUTY, storageName: 'bench-history-0', n: 1 })).ms);
  }
  return { track, history: { events, loadSamples: full.samples, emptyLoadSamples: empty.samples, init10k, init0, load: load() } };
}

/** search() (hybrid and lexical-only) and Orama over the same catalog and queries. */
export async function searchSuite(page: Page, queries: string[], c: Ctx): Promise<Results['search']> {
  const warmup = c.settings.search.warmup;
  c.log(`search: ${queries.length} queries, localshelf hybrid`);
  const hybrid = await page.evaluate((o) => window.bench.search(o), { model: BEAUTY, queries, warmup, lexicalOnly: false });
  c.log('search: localshelf lexical only');
  const lexical = await page.evaluate((o) => window.bench.search(o), { model: BEAUTY, queries, warmup, lexicalOnly: true });
  c.log('search: Orama');
  const orama = await page.evaluate((o) => window.bench.orama(o), { catalogUrl: './models/beauty/catalog.json', queries, warmup });
  return { queries, hybrid, lexical, orama, load: load() };
}
