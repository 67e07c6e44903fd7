// Time to first recommendation, as a storefront page lives it: the page's module script starts the recommender
// at once and asks for 10 items. A shopper with no history gets the popular list; this page then records a few
// views, so the next visit (same browser profile) is a returning shopper who gets personal results.
// `?text=0` starts without the text encoder (lexical search only). Long tasks come from the observer the page's <head> registers before this script runs.
import { createRecommender } from 'localshelf';

declare global {
  interface Window {
    benchLongTasks: { start: number; duration: number }[];
    startupResult?: StartupResult;
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
  /** Every progress report but `download` with its time: `[ms since navigation, status, file]`. */
  progress: [number, string, string][];
  error?: string;
}

const params = new URLSearchParams(location.search);
const model = params.get('model') ?? './models/beauty/manifest.json';
const seed = (params.get('seed') ?? '').split(',').filter(Boolean);
const lexicalOnly = params.get('text') === '0';

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
  window.startupResult = {
    scriptStart,
    ready,
    first,
    source: rec.source,
    historyUsed: rec.historyUsed,
    lexicalRestored: r.searchInfo?.lexical.restored ?? false,
    backend: `${r.backend.name}/${r.backend.threads}`,
    longTasks: window.benchLongTasks.filter((t) => t.start < first),
    progress,
  };
  r.dispose();
}

main().catch((e: unknown) => {
  window.startupResult = { scriptStart: 0, ready: 0, first: 0, source: '', historyUsed: 0, lexicalRestored: false, backend: '', longTasks: [], progress, error: String(e) };
});
