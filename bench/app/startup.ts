// Time to first recommendation, as a storefront page lives it: the page's module script starts the recommender
// at once and asks for 10 items. A shopper with no history gets the popular list; this page then records a few
// views, so the next visit (same browser profile) is a returning shopper who gets personal results.
// After that (`window.benchAttribute`), onnxruntime-web's start and the lexical index restore are timed alone in a
// fresh worker, to attribute the start-up time.
// `?text=0` starts without the text encoder (lexical search only). Long tasks come from the observer the page's
// <head> registers before this script runs.
import { wrap } from 'comlink';
import { createRecommender } from 'localshelf';
import type { KernelsApi } from './kernels.worker';

declare global {
  interface Window {
    benchLongTasks: { start: number; duration: number }[];
    startupResult?: StartupResult;
    benchAttribute: () => Promise<Pick<StartupResult, 'ort' | 'lexicalRestoreMs'>>;
  }
}

export interface StartupResult {
  /** performance.now() (ms since navigation start) when this module script began. */
  scriptStart: number;
  /** ... when createRecommender() resolved. */
  ready: number;
  /** ... when the first recommend() resolved. */
  first: number;
  source: string;
  historyUsed: number;
  lexicalRestored: boolean;
  backend: string;
  longTasks: { start: number; duration: number }[];
  /** After the first recommendation: onnxruntime-web's start alone in a fresh worker (import; wasm + session). */
  ort?: { importMs: number; sessionMs: number };
  /** ... and the restore of the lexical index the visit left in IndexedDB, alone. */
  lexicalRestoreMs?: number;
  /** Every progress report but `download` with its time: `[ms since navigation, status, file]`. */
  progress: [number, string, string][];
  error?: string;
}

const params = new URLSearchParams(location.search);
const model = params.get('model') ?? './models/beauty/manifest.json';
const seed = (params.get('seed') ?? '').split(',').filter(Boolean);
const lexicalOnly = params.get('text') === '0';
/**
 * `stay=<ms>&every=<ms>`: after the first recommendation, stay on the page this long, recommending again every
 * `every` ms (a shopper browsing), before leaving.
 */
const stayMs = Number(params.get('stay') ?? 0);
const everyMs = Math.max(1, Number(params.get('every') ?? 500));

const progress: StartupResult['progress'] = [];

async function main(): Promise<void> {
  const scriptStart = performance.now();
  const r = await createRecommender({
    model,
    storageName: 'bench-startup',
    initTimeoutMs: 600_000,
    ...(lexicalOnly ? { search: { textModel: false } } : {}),
    onProgress: (p) => {
      if (p.status !== 'download') progress.push([performance.now(), p.status, 'file' in p ? p.file : '']);
    },
  });
  const ready = performance.now();
  const rec = await r.recommend({ k: 10 });
  const first = performance.now();
  if (rec.source === 'popular') await Promise.all(seed.map((itemId) => r.track({ type: 'view', itemId })));
  // Let the long-task observer deliver what ended before the first recommendation.
  await new Promise((ok) => setTimeout(ok, 300));
  // Search builds in the background after the first recommendation; wait for it (it saves the lexical index the
  // next visit restores).
  const lexicalRestored = (await r.searchReady()).lexical.restored;
  for (const until = performance.now() + stayMs; performance.now() < until; ) {
    await new Promise((ok) => setTimeout(ok, everyMs));
    await r.recommend({ k: 10 });
  }
  r.dispose();
  window.startupResult = {
    scriptStart,
    ready,
    first,
    source: rec.source,
    historyUsed: rec.historyUsed,
    lexicalRestored,
    backend: `${r.backend.name}/${r.backend.threads}`,
    longTasks: window.benchLongTasks.filter((t) => t.start < first),
    progress,
  };
}

/**
 * Called by bench/run.ts once it has counted the visit's requests: onnxruntime-web's start and the lexical index
 * restore, each alone in a fresh worker.
 */
window.benchAttribute = async () => {
  const manifestUrl = new URL(model, location.href);
  const manifest = (await (await fetch(manifestUrl)).json()) as { files: { encoder: string; catalog: string }; sha256: Record<string, string> };
  const w = new Worker(new URL('./kernels.worker.ts', import.meta.url), { type: 'module', name: 'bench-attribution' });
  try {
    const k = wrap<KernelsApi>(w);
    const ort = await k.ortStart(new URL(manifest.files.encoder, manifestUrl).href);
    const lexical = await k.lexicalRestore('bench-startup-search', manifest.sha256[manifest.files.catalog] ?? '');
    return { ort, lexicalRestoreMs: lexical.ms };
  } finally {
    w.terminate();
  }
};

main().catch((e: unknown) => {
  window.startupResult = { scriptStart: 0, ready: 0, first: 0, source: '', historyUsed: 0, lexicalRestored: false, backend: '', longTasks: [], progress, error: String(e) };
});
