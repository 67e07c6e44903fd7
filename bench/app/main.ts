// The bench harness page: imports the BUILT package (dist/) as a storefront would and hands bench/run.ts a set
// of measurements to run through `window.bench` (Playwright's page.evaluate). Timings on the main thread are
// what a caller of the API sees (worker round trip included); timings from workers are labelled as such.
import { wrap } from 'comlink';
// The WebGPU entry: the recommend suites run on WASM and on WebGPU (SwiftShader here, a real GPU where there is one).
import * as localshelf from 'localshelf/webgpu';
import type { BackendPreference, Recommender } from 'localshelf/webgpu';
import type { Kernel, KernelsApi, KernelTiming } from './kernels.worker';
import type { OramaApi } from './orama.worker';

export interface RecommendRun {
  backend: localshelf.Recommender['backend'];
  items: number;
  initMs: number;
  /** Round trip of each timed `recommend()` as the main thread sees it, ms. */
  rtt: number[];
  /** `result.elapsedMs`: time inside the worker, ms. */
  worker: number[];
  /** The same, for calls that each follow one more (untimed) `track()`: a new history, so the encoder runs. */
  rttTracked: number[];
  workerTracked: number[];
  source: string;
  historyUsed: number;
  /** The reference kernels over the same matrix, interleaved with the calls. */
  kernels?: { rows: number; dim: number; bytes: number; scorer: 'wasm-simd' | 'js'; sameTop10: number; timings: KernelTiming[]; echo: number[] };
}

export interface SearchRun {
  rtt: number[];
  worker: number[];
  hits: number;
  initMs: number;
  info: localshelf.Recommender['searchInfo'];
}

/** The default `historyCap`: the bench keeps it. */
const HISTORY_CAP = 10_000;

const yieldTask = (): Promise<void> =>
  new Promise((resolve) => {
    // A new task without setTimeout's 4 ms clamp.
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => resolve();
    port2.postMessage(0);
  });

async function open(model: string, storageName: string, backend: BackendPreference = 'wasm', lexicalOnly = false, runtime: 'auto' | 'onnxruntime' = 'auto'): Promise<{ r: Recommender; initMs: number }> {
  const t0 = performance.now();
  const r = await localshelf.createRecommender({
    model,
    backend,
    runtime,
    storageName,
    initTimeoutMs: 600_000,
    callTimeoutMs: 120_000,
    ...(lexicalOnly ? { search: { textModel: false } } : {}),
  });
  return { r, initMs: performance.now() - t0 };
}

/** A recommender kept open between calls (`hold` / `release`): the scale bench reads the worker's heap meanwhile. */
let held: Recommender | undefined;

const bench = {
  crossOriginIsolated: () => globalThis.crossOriginIsolated,

  /** Opens a recommender on `model` (search off), tracks `track` views, recommends once, and keeps it open. */
  async hold(o: { model: string; storageName: string; track: string[] }): Promise<{ initMs: number; items: number; firstMs: number }> {
    const { r, initMs } = await open(o.model, o.storageName, 'wasm', true);
    held = r;
    await r.history.clear();
    for (const itemId of o.track) await r.track({ type: 'view', itemId });
    const t0 = performance.now();
    await r.recommend({ k: 10 });
    return { initMs, items: r.model.items, firstMs: performance.now() - t0 };
  },

  /**
   * The first search on the held recommender (it waits for search's lexical index to be built), with recommend()
   * called every 50 ms meanwhile: their round trips show whether the worker keeps answering during the build.
   */
  async searchWhileRecommending(): Promise<{ searchMs: number; rtt: number[] }> {
    const r = held!;
    const t0 = performance.now();
    let done = false;
    const searching = r.search('lip', { k: 1 }).finally(() => void (done = true));
    const rtt: number[] = [];
    while (!done) {
      const t1 = performance.now();
      await r.recommend({ k: 10 });
      rtt.push(performance.now() - t1);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await searching;
    return { searchMs: performance.now() - t0, rtt };
  },

  release(): void {
    held?.dispose();
    held = undefined;
  },

  /** What WebGPU adapter this browser offers. */
  async gpuProbe(): Promise<{ available: boolean; fallback?: boolean; vendor?: string; architecture?: string; reason?: string }> {
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) return { available: false, reason: 'navigator.gpu is missing' };
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
    if (!adapter) return { available: false, reason: 'requestAdapter() returned null' };
    const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    return { available: true, fallback: Boolean(info.isFallbackAdapter), vendor: info.vendor, architecture: info.architecture };
  },

  /**
   * `n` timed `recommend({ k: 10 })` calls (after `warmup`) with a history of `track` views. With `kernels`, the
   * reference kernels run in a dedicated worker over the same matrix, one sample of each after every `every`-th
   * call, so both sides of each ratio are measured under the same machine load.
   */
  async recommend(o: {
    model: string;
    backend: BackendPreference;
    /** What runs the encoder on WASM (the library's own by default). */
    runtime?: 'auto' | 'onnxruntime';
    storageName: string;
    track: string[];
    warmup: number;
    n: number;
    /** Timed calls after the `n`, each after one more view of a `track` item (default n / 2). */
    tracked?: number;
    kernels?: { itemsUrl: string; list: Kernel[]; every: number; minSampleMs: number };
  }): Promise<RecommendRun> {
    const { r, initMs } = await open(o.model, o.storageName, o.backend, true, o.runtime);
    const w = o.kernels ? new Worker(new URL('./kernels.worker.ts', import.meta.url), { type: 'module', name: 'bench-kernels' }) : undefined;
    try {
      const k = w && wrap<KernelsApi>(w);
      const shape = k && o.kernels ? await k.load(new URL(o.kernels.itemsUrl, location.href).href) : undefined;
      const timings = new Map<Kernel, KernelTiming>((o.kernels?.list ?? []).map((kernel) => [kernel, { kernel, samples: [], reps: 0, checksum: 0 }]));
      const sample = async (warmup: number): Promise<void> => {
        for (const [kernel, t] of timings) {
          const one = await k!.run(kernel, 1, o.kernels!.minSampleMs, warmup);
          if (warmup === 0) {
            t.samples.push(...one.samples);
            t.reps = one.reps;
            t.checksum += one.checksum;
          }
        }
      };
      await r.history.clear();
      await Promise.all(o.track.map((itemId) => r.track({ type: 'view', itemId })));
      for (let i = 0; i < o.warmup; i++) await r.recommend({ k: 10 });
      if (k) await sample(3);
      const rtt: number[] = [];
      const worker: number[] = [];
      let last: localshelf.RecommendResult | undefined;
      for (let i = 0; i < o.n; i++) {
        const t0 = performance.now();
        last = await r.recommend({ k: 10 });
        rtt.push(performance.now() - t0);
        worker.push(last.elapsedMs);
        if (k && i % o.kernels!.every === 0) await sample(0);
      }
      // The calls above repeat one history (a page rendering its shelf again: the engine reuses the user vector);
      // these each follow a track(), as after a shopper's click, so the history encoder runs every time.
      const rttTracked: number[] = [];
      const workerTracked: number[] = [];
      const tracked = o.tracked ?? Math.ceil(o.n / 2);
      for (let i = 0; i < tracked; i++) {
        await r.track({ type: 'view', itemId: o.track[i % o.track.length]! });
        const t0 = performance.now();
        const res = await r.recommend({ k: 10 });
        rttTracked.push(performance.now() - t0);
        workerTracked.push(res.elapsedMs);
      }
      // The same answer sent to a worker and back through comlink: the round trip's floor for this payload.
      const echo: number[] = [];
      if (k && last) {
        for (let i = 0; i < 10; i++) await k.echo(last);
        for (let i = 0; i < Math.min(o.n, 100); i++) {
          const t0 = performance.now();
          await k.echo(last);
          echo.push(performance.now() - t0);
        }
      }
      const kernels = k && shape ? { ...shape, sameTop10: (await k.agree()).sameTop10, timings: [...timings.values()], echo } : undefined;
      return { backend: r.backend, items: r.model.items, initMs, rtt, worker, rttTracked, workerTracked, source: last?.source ?? '', historyUsed: last?.historyUsed ?? 0, ...(kernels ? { kernels } : {}) };
    } finally {
      r.dispose();
      w?.terminate();
    }
  },

  /**
   * track() throughput with the default history cap: a burst (all events in one tick), a stream (`chunk` events
   * per task, nothing awaited until the end), and one at a time (each awaited).
   */
  async track(o: { model: string; ids: string[]; burst: number; stream: number; chunk: number; serial: number }): Promise<{ burstMs: number; streamMs: number; untilCapMs: number; serialMs: number; serialLatency: number[]; stored: number }> {
    const { r } = await open(o.model, 'bench-track', 'wasm', true);
    try {
      await r.history.clear();
      const ev = (i: number): localshelf.TrackEvent => ({ type: i % 7 === 0 ? 'click' : 'view', itemId: o.ids[i % o.ids.length]! });
      // Warm-up (JIT, IndexedDB), not timed.
      for (let round = 0; round < 5; round++) await Promise.all(Array.from({ length: 200 }, (_, i) => r.track(ev(i))));
      await r.history.clear();
      let t0 = performance.now();
      await Promise.all(Array.from({ length: o.burst }, (_, i) => r.track(ev(i))));
      const burstMs = performance.now() - t0;
      await r.history.clear();
      t0 = performance.now();
      const pending: Promise<void>[] = [];
      // When the events up to the history cap were stored (the batches after it also delete old events).
      let untilCapMs = Number.NaN;
      for (let c = 0; c < o.stream; c += o.chunk) {
        for (let i = c; i < Math.min(c + o.chunk, o.stream); i++) pending.push(r.track(ev(i)));
        if (c < HISTORY_CAP && c + o.chunk >= HISTORY_CAP) void pending.at(-1)!.then(() => (untilCapMs = performance.now() - t0));
        await yieldTask();
      }
      await Promise.all(pending);
      const streamMs = performance.now() - t0;
      await r.history.clear();
      const serialLatency: number[] = [];
      t0 = performance.now();
      for (let i = 0; i < o.serial; i++) {
        const t = performance.now();
        await r.track(ev(i));
        serialLatency.push(performance.now() - t);
      }
      const serialMs = performance.now() - t0;
      const stored = (await r.history.export()).length;
      return { burstMs, streamMs, untilCapMs, serialMs, serialLatency, stored };
    } finally {
      r.dispose();
    }
  },

  /** Stores `events` item views under `storageName` (replacing what was there). */
  async seedHistory(o: { model: string; storageName: string; ids: string[]; events: number }): Promise<number> {
    const { r } = await open(o.model, o.storageName, 'wasm', true);
    try {
      await r.history.clear();
      await Promise.all(Array.from({ length: o.events }, (_, i) => r.track({ type: 'view', itemId: o.ids[i % o.ids.length]! })));
      return (await r.history.export()).length;
    } finally {
      r.dispose();
    }
  },

  /** createRecommender() to ready, `n` times, under `storageName`. */
  async initTimes(o: { model: string; storageName: string; n: number }): Promise<{ ms: number[]; events: number }> {
    const ms: number[] = [];
    let events = 0;
    for (let i = 0; i < o.n; i++) {
      const { r, initMs } = await open(o.model, o.storageName, 'wasm', true);
      ms.push(initMs);
      events = (await r.history.export()).length;
      r.dispose();
      await new Promise((ok) => setTimeout(ok, 50));
    }
    return { ms, events };
  },

  /** The engine's history load in a dedicated worker with the engine's modules. */
  async historyLoad(o: { storageName: string; samples: number; maxLen: number }): Promise<{ events: number; samples: number[] }> {
    const w = new Worker(new URL('./kernels.worker.ts', import.meta.url), { type: 'module', name: 'bench-history' });
    try {
      return await wrap<KernelsApi>(w).historyLoad(o.storageName, o.samples, o.maxLen);
    } finally {
      w.terminate();
    }
  },

  /** recommender.search() over `queries` (empty history: no personal re-rank), after `warmup` queries. */
  async search(o: { model: string; queries: string[]; warmup: number; lexicalOnly: boolean }): Promise<SearchRun> {
    const { r, initMs } = await open(o.model, o.lexicalOnly ? 'bench-search-lexical' : 'bench-search', 'wasm', o.lexicalOnly);
    try {
      await r.history.clear();
      for (const q of o.queries.slice(0, o.warmup)) await r.search(q, { k: 10 });
      const rtt: number[] = [];
      const worker: number[] = [];
      let hits = 0;
      for (const q of o.queries) {
        const t0 = performance.now();
        const res = await r.search(q, { k: 10 });
        rtt.push(performance.now() - t0);
        worker.push(res.elapsedMs);
        hits += res.items.length;
      }
      return { rtt, worker, hits, initMs, info: await r.searchReady() };
    } finally {
      r.dispose();
    }
  },

  /** Orama over the same titles and queries, in a dedicated worker. */
  async orama(o: { catalogUrl: string; queries: string[]; warmup: number }): Promise<{ rtt: number[]; worker: number[]; hits: number; buildMs: number; docs: number }> {
    const w = new Worker(new URL('./orama.worker.ts', import.meta.url), { type: 'module', name: 'bench-orama' });
    const orama = wrap<OramaApi>(w);
    try {
      const { docs, buildMs } = await orama.build(new URL(o.catalogUrl, location.href).href);
      for (const q of o.queries.slice(0, o.warmup)) await orama.query(q, 10);
      const rtt: number[] = [];
      const worker: number[] = [];
      let hits = 0;
      for (const q of o.queries) {
        const t0 = performance.now();
        const res = await orama.query(q, 10);
        rtt.push(performance.now() - t0);
        worker.push(res.ms);
        hits += res.ids.length;
      }
      return { rtt, worker, hits, buildMs, docs };
    } finally {
      w.terminate();
    }
  },
};

export type Bench = typeof bench;

declare global {
  interface Window {
    bench: Bench;
    benchReady: boolean;
  }
}

window.bench = bench;
window.benchReady = true;
