/**
 * The issue's targets, judged on one run's results, each with what was measured and, for a miss, the reason
 * taken from the same run's breakdown (scan vs encoder vs round trip, start-up stages, chunk sizes).
 */
import type { Kernel } from './app/kernels.worker';
import type { KernelRow, RecommendRow, Results, StartupSample } from './results';
import { bytes, ms, p50, times } from './stats';
import { SYNTHETIC } from './suites';

export interface Target {
  target: string;
  measured: string;
  pass: boolean;
  why: string;
}

export const kernelP50 = (row: KernelRow | undefined, k: Kernel): number => p50(row?.timings.find((t) => t.kernel === k)?.samples ?? []);

/** The WASM recommend() row of `model` on `page`. */
export function findRecommend(r: Results, model: string, page: 'plain' | 'isolated'): RecommendRow | undefined {
  return r.recommend.find((x) => x.model === model && x.page === page && x.label.startsWith('WASM'));
}

/** p50 stage times of start-up visits, ms after the module script started (`scriptStart`: since navigation). */
export function stages(xs: StartupSample[]): { scriptStart: number; worker: number; modelFiles: number; textFiles: number; ready: number; first: number; ort: number; lexical: number } {
  const done = (x: StartupSample, text: boolean): number[] =>
    x.progress.filter(([, s, file]) => s === 'done' && file.startsWith('text/') === text).map(([t]) => t - x.scriptStart);
  const text = xs.map((x) => done(x, true)).filter((d) => d.length > 0);
  const ort = xs.flatMap((x) => (x.ort ? [x.ort.importMs + x.ort.sessionMs] : []));
  const lexical = xs.flatMap((x) => (x.lexicalRestoreMs !== undefined && Number.isFinite(x.lexicalRestoreMs) ? [x.lexicalRestoreMs] : []));
  return {
    scriptStart: p50(xs.map((x) => x.scriptStart)),
    worker: p50(xs.map((x) => (x.progress[0]?.[0] ?? Number.NaN) - x.scriptStart)),
    modelFiles: p50(xs.map((x) => Math.max(...done(x, false)))),
    textFiles: text.length ? p50(text.map((d) => Math.max(...d))) : Number.NaN,
    ready: p50(xs.map((x) => x.ready - x.scriptStart)),
    first: p50(xs.map((x) => x.first - x.ready)),
    ort: p50(ort),
    lexical: p50(lexical),
  };
}

export function targets(r: Results): Target[] {
  const out: Target[] = [];
  const rec = findRecommend(r, SYNTHETIC, 'plain');
  const k = r.kernels.find((x) => x.model === SYNTHETIC && x.page === 'plain');
  if (rec && k) {
    // Each call after a track(): the history changed, so the encoder runs (a repeated call reuses the user vector).
    const tracked = rec.run.rttTracked?.length > 0;
    const rtt = p50(tracked ? rec.run.rttTracked : rec.run.rtt);
    const inWorker = p50(tracked ? rec.run.workerTracked : rec.run.worker);
    const repeated = tracked ? ` (a repeated call on the same history, the user vector reused: p50 ${ms(p50(rec.run.rtt))} ms)` : '';
    const floor = kernelP50(k, 'floor');
    const scan = kernelP50(k, 'int8+top10');
    const brute = kernelP50(k, 'brute+top10');
    const bruteScan = kernelP50(k, 'brute');
    const int8Scan = kernelP50(k, 'int8');
    const rest = inWorker - scan;
    const breakdown =
      `Of the ${ms(rtt)} ms, the int8 scan + top-10 takes ${ms(scan)} ms (${times(scan / floor)} the floor by itself)` +
      (rest > 0 ? `, the encoder and the rest of the call in the worker ~${ms(rest)} ms` : '') +
      (rtt > inWorker ? `, the worker round trip ~${ms(rtt - inWorker)} ms` : '');
    const jsScan = kernelP50(k, 'int8-js');
    const kernel = k.scorer === 'wasm-simd' ? 'the WebAssembly SIMD scorer' : 'the plain-JavaScript scorer (no WebAssembly SIMD here)';
    const vsFloor = rtt / floor;
    const scanNote =
      `The scan runs on ${kernel}: ${ms(int8Scan)} ms against ${ms(jsScan)} ms for the JavaScript loop and ${ms(bruteScan)} ms ` +
      `for the naive float32 scan; the floor is one WebAssembly SIMD pass over the same bytes.`;
    out.push({
      target: 'recommend() at 100k items ≤ 3× the int8 scan floor',
      measured: `p50 ${ms(rtt)} ms${tracked ? ' after a track()' : ''} vs floor ${ms(floor)} ms = ${times(vsFloor)} (in-worker time ${times(inWorker / floor)})${repeated}`,
      pass: vsFloor <= 3,
      why: `${breakdown}. ${scanNote}`,
    });
    const vsBrute = rtt / brute;
    out.push({
      target: 'recommend() at 100k items ≤ 0.5× the plain-JS brute-force scorer',
      measured: `p50 ${ms(rtt)} ms vs brute force + top-10 ${ms(brute)} ms = ${times(vsBrute)}`,
      pass: vsBrute <= 0.5,
      why: `${breakdown}. ${scanNote}`,
    });
  }

  const cached = r.startup.filter((x) => x.kind === 'cached' && x.variant === 'default');
  const cold = r.startup.filter((x) => x.kind === 'cold' && x.variant === 'default');
  const lexical = r.startup.filter((x) => x.kind === 'cached' && x.variant === 'lexical');
  const browsed = r.startup.filter((x) => x.variant === 'browsing' && x.visit >= 2);
  if (cached.length) {
    const first = p50(cached.map((x) => x.first));
    const st = stages(cached);
    const lex = lexical.length ? p50(lexical.map((x) => x.first)) : Number.NaN;
    out.push({
      target: 'first recommendation ≤ 400 ms with assets cached',
      measured:
        `p50 ${ms(first)} ms since navigation start (${cached.length} visits; cold p50 ${ms(p50(cold.map((x) => x.first)))} ms` +
        `${Number.isFinite(lex) ? `; cached without the text encoder ${ms(lex)} ms` : ''})` +
        (browsed.length
          ? `; a returning shopper whose earlier visits browsed a few seconds: p50 ${ms(p50(browsed.map((x) => x.first)))} ms ` +
            `(${browsed.length} visits, 3rd visit on)`
          : ''),
      // Judged on the worst case: earlier visits that left right after one recommendation.
      pass: first <= 400,
      why:
        first <= 400
          ? '—'
          : `Page script at ${ms(st.scriptStart)} ms; then, counted from createRecommender(): first word from the worker at ` +
            `${ms(st.worker)} ms, model files from the HTTP cache, sha256-checked, by ${ms(st.modelFiles)} ms, the text model's files by ` +
            `${ms(st.textFiles)} ms; onnxruntime-web started and the history opened: ready at ${ms(st.ready)} ms; the first recommend() ` +
            `took ${ms(st.first)} ms more (a returning shopper: the encoder's first run, which also compiles the WASM kernels it uses). ` +
            `Measured alone in a fresh worker, onnxruntime-web's start (import, wasm instantiation from the cache, encoder session) ` +
            `takes ${ms(st.ort)} ms (${((100 * st.ort) / st.ready).toFixed(0)} % of the time to ready). Search is built after the first recommendation (the lexical index restore alone: ` +
            `${ms(st.lexical)} ms), so it is not on this path` +
            (Number.isFinite(lex) ? ` (visits without a text encoder: ${ms(lex)} ms). ` : '. ') +
            (browsed.length
              ? `When earlier visits ran the engine for a few seconds: ready at ${ms(stages(browsed).ready)} ms, first recommendation ` +
                `${ms(p50(browsed.map((x) => x.first)))} ms. The target is judged on the worst case above (every earlier visit left ` +
                'right after one recommendation). '
              : '') +
            `${r.machine.nproc} CPUs, load average ${r.loadStart[0]} at the start of the run.`,
    });
  }

  if (cold.length) {
    const first = p50(cold.map((x) => x.first));
    const sinceCreate = p50(cold.map((x) => x.first - x.scriptStart));
    const st = stages(cold);
    out.push({
      target: 'first visit (cold) ≤ 400 ms to the first recommendation',
      measured:
        `p50 ${ms(first)} ms since navigation start, ${ms(sinceCreate)} ms since createRecommender() (${cold.length} visits, each in a new ` +
        'browser profile: empty HTTP cache, Cache Storage and IndexedDB; every file downloaded and sha256-checked)',
      pass: first <= 400,
      why:
        `Page script at ${ms(st.scriptStart)} ms; then, counted from createRecommender(): first word from the worker at ${ms(st.worker)} ms, ` +
        `model files downloaded and sha256-checked by ${ms(st.modelFiles)} ms, ready at ${ms(st.ready)} ms (the history database opened and ` +
        `the model files' offline copies written meanwhile), the first recommend() ${ms(st.first)} ms more.`,
    });
  }

  const all = r.startup;
  if (all.length) {
    const counts = all.map((x) => x.longTasks.length);
    const worst = Math.max(...counts);
    const tasks = all.flatMap((x) => x.longTasks.map((t) => `${ms(t.duration)} ms at ${ms(t.start)} ms (${x.kind})`));
    out.push({
      target: '0 main-thread long tasks during start-up',
      measured: `${all.length} visits (cold and cached, with and without the text encoder): ${counts.join(', ')} long tasks per visit`,
      pass: worst === 0,
      why:
        worst === 0
          ? '—'
          : `Tasks over 50 ms before the first recommendation: ${tasks.slice(0, 6).join('; ')}${tasks.length > 6 ? '; …' : ''}. ` +
            'The main thread only parses the entry chunk, posts messages and runs the page; on a loaded machine a short task that ' +
            'is descheduled mid-way also crosses 50 ms.',
    });
  }

  const t = r.track;
  const tr = r.settings.track;
  const burst = (tr.burst / t.burstMs) * 1000;
  const stream = (tr.stream / t.streamMs) * 1000;
  const cap = Math.min(tr.stream, 10_000);
  const belowCap = (cap / t.untilCapMs) * 1000;
  const atCap = tr.stream > cap ? ((tr.stream - cap) / (t.streamMs - t.untilCapMs)) * 1000 : Number.NaN;
  const rate = (x: number): string => `${Math.round(x).toLocaleString('en-US')} events/s`;
  out.push({
    target: '≥ 20k tracked events/s',
    measured:
      `${rate(burst)}: ${tr.burst.toLocaleString('en-US')} track() calls fired as fast as the API allows, then awaited; ` +
      `${rate(stream)} streamed ${tr.chunk} per task` +
      (Number.isFinite(atCap) ? ` (${rate(belowCap)} while the history fills, ${rate(atCap)} once it is at its cap)` : ''),
    pass: burst >= 20_000,
    why:
      burst >= 20_000 && stream >= 20_000
        ? '—'
        : 'Events of one task go out as one batch: validation, a structured-clone postMessage, one IndexedDB transaction. Once the ' +
          'history holds its 10,000-event cap, each transaction also deletes the oldest events (one range delete)' +
          (Number.isFinite(atCap) ? ` (${rate(belowCap)} below the cap vs ${rate(atCap)} at it)` : '') +
          `. Measured on ${r.machine.nproc} CPUs, load average ${t.load[0]}.`,
  });

  const entry = r.sizes.find((z) => z.what.startsWith('main-thread entry, as bundled'));
  const published = r.sizes.find((z) => z.what.startsWith('main-thread entry, as published'));
  if (entry?.gzip !== undefined) {
    const gzip = entry.gzip;
    out.push({
      target: 'main-thread entry ≤ 10 kB gzip',
      measured: `${bytes(gzip)} gzip as bundled by the app (minified, comlink included); ${published?.gzip !== undefined ? `${bytes(published.gzip)} gzip as published (unminified)` : ''}`,
      pass: gzip <= 10_000,
      why: gzip <= 10_000 ? '—' : `The entry carries the client, the error catalogue, event validation, option resolution and comlink (${entry.files.join(', ')}).`,
    });
  }
  return out;
}
