/** Turns one run's results into BENCHMARKS.md: machine, tables, targets with PASS/MISS and the reason. */
import type { Kernel } from './app/kernels.worker';
import type { KernelRow, Results, StartupSample } from './results';
import { bytes, ms, p50, p95, times } from './stats';
import { CACHE_CONTROL } from './serve';
import { BEAUTY, SYNTHETIC } from './suites';
import { findRecommend, kernelP50, stages, targets } from './targets';

const table = (head: string[], rows: (string | number)[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** "p50 / best sample" of one kernel. */
const kcell = (row: KernelRow, k: Kernel): string => {
  const xs = row.timings.find((t) => t.kernel === k)?.samples ?? [];
  return `${ms(p50(xs))} / ${ms(Math.min(...xs))} ms`;
};

const catalogName = (model: string): string => (model === BEAUTY ? 'Beauty, 12,101 items' : model === SYNTHETIC ? 'synthetic, 100,000 items' : model);

/** One line comparing the isolated (threaded) and plain pages, when both ran. */
function threadsNote(r: Results): string[] {
  const parts: string[] = [];
  for (const model of [BEAUTY, SYNTHETIC]) {
    const one = findRecommend(r, model, 'plain');
    const many = findRecommend(r, model, 'isolated');
    if (!one || !many || many.run.backend.threads <= 1) continue;
    parts.push(`${catalogName(model)}: ${ms(p50(one.run.rtt))} ms on the own encoder (1 thread) vs ${ms(p50(many.run.rtt))} ms on onnxruntime-web with ${many.run.backend.threads} threads`);
  }
  if (!parts.length) return [];
  return [
    `onnxruntime-web's WASM threads only split its encoder's work (scoring and top-k stay single-threaded, in the worker): ${parts.join('; ')} (p50), ` +
      `on ${r.machine.nproc} CPUs.`,
    '',
  ];
}

export function writeReport(r: Results): string {
  const m = r.machine;
  const s = r.settings;
  const out: string[] = [];
  out.push(
    '# Benchmarks',
    '',
    `Written by \`${r.command}\` (bench/run.ts; ${r.durationS} s). Every figure below comes from this one run; the raw samples are in ` +
      '`bench/out/results.json`. Re-run the command to refresh this file.',
    '',
    `- **Date:** ${r.date}`,
    `- **Machine:** ${m.nproc} CPUs (\`nproc\`), ${m.cpuModel}, ${m.memGiB} GiB memory, ${m.os}`,
    `- **Browser:** Chromium ${r.browser.version} (\`${r.browser.executable}\`), headless, \`${r.browser.args.join(' ')}\``,
    `- **Load average (1, 5, 15 min):** ${r.loadStart.join(', ')} at the start, ${r.loadEnd.join(', ')} at the end.` +
      (r.loadStart[0]! > m.nproc || r.loadEnd[0]! > m.nproc
        ? ` The load average went above the machine's ${m.nproc} CPUs (runnable threads were waiting; it counts the benchmark's ` +
          'own browser and server, and any other job): timings are slower and noisier than on an idle machine of the same kind.'
        : ''),
    `- **Iterations:** recommend() ${s.recommendN.small} calls at 12k, ${s.recommendN.large} at 100k (after ${s.recommendN.warmup} warm-up calls); ` +
      `kernels ~${s.kernelSamples} samples of ≥ 2 ms; start-up ${s.startup.contexts} cold visits each followed by ${s.startup.revisits} cached (+ ${s.startup.lexicalContexts} without the text encoder, + ${s.startup.browsing?.contexts ?? 0} browsing profiles of ${(s.startup.browsing?.revisits ?? 0) + 1} visits); ` +
      `search ${s.search.queries} queries.${s.quick ? ' **Quick mode: smoke-test counts, not for quoting.**' : ''}`,
    '',
  );

  out.push('## Targets', '', table(['target', 'measured', 'result', 'why'], targets(r).map((t) => [t.target, t.measured, t.pass ? '**PASS**' : '**MISS**', t.why])), '');

  out.push(
    '## recommend()',
    '',
    '`recommend({ k: 10 })` with a history of 50 item views (the encoder\'s full `maxLen`), timed on the main thread around ' +
      'the `await` (what a caller sees, worker round trip included); "in worker" is `result.elapsedMs` (encoder, scoring, top-k). ' +
      'The first columns repeat one history (a page rendering its shelf again: the engine reuses a user vector when the history, the item rows and the adapter are those of one of the last two calls); "after a track()" calls each follow one more view, so the history encoder runs every time. ' +
      'The plain page is not cross-origin isolated and runs the default, the library\'s own encoder (one thread); the isolated page sends COOP/COEP and runs `runtime: \'onnxruntime\'` (onnxruntime-web with WASM threads), for comparison. ' +
      `Scoring is the same on every backend (${[...new Set(r.kernels.map((k) => (k.scorer === 'wasm-simd' ? 'the WebAssembly SIMD kernel' : 'the JavaScript loop')))].join(' / ')} in the worker; see the kernel table): threads and WebGPU only change the encoder.`,
    '',
    table(
      ['catalog', 'backend', 'p50', 'p95', 'in worker p50', 'in worker p95', 'calls', 'after a track(): p50', 'p95', 'in worker p50', 'calls', 'start-up', 'load (1 min)'],
      r.recommend.map((x) => [
        catalogName(x.model),
        x.label,
        `${ms(p50(x.run.rtt))} ms`,
        `${ms(p95(x.run.rtt))} ms`,
        `${ms(p50(x.run.worker))} ms`,
        `${ms(p95(x.run.worker))} ms`,
        x.run.rtt.length,
        `${ms(p50(x.run.rttTracked ?? []))} ms`,
        `${ms(p95(x.run.rttTracked ?? []))} ms`,
        `${ms(p50(x.run.workerTracked ?? []))} ms`,
        x.run.rttTracked?.length ?? 0,
        `${ms(x.run.initMs)} ms`,
        x.load[0]!,
      ]),
    ),
    '',
    ...threadsNote(r),
  );

  out.push(
    '### Against the brute-force scorer and the memory floor',
    '',
    'Same matrix (the model\'s `items.lsim`), same run, timed in a dedicated module worker of the bench page (the kind of ' +
      'context the engine runs in), interleaved with the `recommend()` calls of the table above (one sample of each kernel after every ' +
      'few calls) so that both sides of each ratio see the same machine load. Each cell is p50 / best sample, per call. *Floor*: one WebAssembly SIMD pass summing the int8 matrix, 16 bytes a ' +
      'load (nothing that reads every byte once can be faster here); *JS int32 pass* / *byte pass*: the same pass in JavaScript ' +
      'through an `Int32Array` view / an `Int8Array`. *int8 scorer*: the library\'s scorer (+ `topK`), the ' +
      'code `recommend()` runs (`createScorer`: the WebAssembly SIMD kernel, `i32x4.dot_i16x8_s` over int8 rows widened to int16, ' +
      'where the browser has SIMD; the cell names what ran). *int8 JS*: the library\'s plain-JavaScript loop ' +
      '(`scoreAll`), the fallback where WebAssembly SIMD is missing. *Brute force*: the matrix dequantized to float32 once, then a naive per-item dot-product loop ' +
      '(+ the same `topK`). Ratios are of p50s, against the `recommend()` round-trip p50 of the same page.',
    '',
    table(
      ['catalog', 'page', 'floor', 'JS int32 pass', 'byte pass', 'int8 scorer', 'int8 + top-10', 'int8 JS', 'brute force', 'brute + top-10', 'recommend() p50', 'recommend / floor', 'recommend / brute+top-10', 'same top-10'],
      r.kernels.map((k) => {
        const rec = findRecommend(r, k.model, k.page);
        const rp = p50(rec?.run.rtt ?? []);
        return [
          catalogName(k.model),
          k.page === 'plain' ? 'plain (1 thread)' : 'isolated',
          kcell(k, 'floor'),
          kcell(k, 'floor32'),
          kcell(k, 'floor8'),
          `${kcell(k, 'int8')} (${k.scorer})`,
          kcell(k, 'int8+top10'),
          kcell(k, 'int8-js'),
          kcell(k, 'brute'),
          kcell(k, 'brute+top10'),
          `${ms(rp)} ms`,
          times(rp / kernelP50(k, 'floor')),
          times(rp / kernelP50(k, 'brute+top10')),
          `${k.sameTop10}/10`,
        ];
      }),
    ),
    '',
    `Matrix bytes scanned: ${r.kernels.map((k) => `${catalogName(k.model)} ${bytes(k.bytes)}`).filter((v, i, a) => a.indexOf(v) === i).join(', ')}. ` +
      '"Same top-10" counts the int8 scorer\'s top-10 rows found in the float32 scan\'s top-10 (the same dequantized item vectors; ' +
        'the SIMD scorer quantizes the user vector to int16).',
    '',
  );

  const g = r.gpu;
  out.push('### WebGPU', '');
  if (g.mode === 'hardware') {
    out.push(`Hardware adapter: ${g.probe.vendor} ${g.probe.architecture}. Its rows are in the recommend() table above, beside the CPU figures.`);
  } else {
    out.push(
      '**Not measured: no hardware adapter** ' +
        (g.probe.available ? `(the only adapter is SwiftShader, \`isFallbackAdapter: true\`, vendor "${g.probe.vendor}")` : `(${g.probe.reason})`) +
        '. Run `npm run bench` on a machine with a GPU (Chromium may need `BENCH_CHROMIUM_ARGS="--enable-features=Vulkan"` or similar) ' +
        'to record hardware WebGPU beside the CPU figures; the suite then runs the same 12k and 100k rows on it.',
    );
    if (g.mode === 'swiftshader') {
      out.push(
        '',
        `For reference only, the "WebGPU on SwiftShader" row above forces \`backend: 'webgpu'\` on the software adapter (${s.recommendN.gpu} calls at 12k): ` +
          'it is CPU emulation of a GPU, which is why `backend: \'auto\'` skips it.' +
          (g.error ? ` It failed: ${g.error}` : ''),
      );
    }
  }
  out.push('');

  const group = (kind: 'cold' | 'cached', variant: StartupSample['variant']): StartupSample[] => r.startup.filter((x) => x.kind === kind && x.variant === variant);
  const startupRow = (label: string, xs: StartupSample[]): (string | number)[] => [
    label,
    xs.length,
    `${ms(p50(xs.map((x) => x.first)))} ms (max ${ms(Math.max(...xs.map((x) => x.first)))})`,
    `${ms(p50(xs.map((x) => x.first - x.scriptStart)))} ms`,
    `${xs.map((x) => x.longTasks.length).join(', ')}`,
    `${ms(Math.max(0, ...xs.flatMap((x) => x.longTasks.map((t) => t.duration))))} ms`,
    xs.map((x) => x.requests).join(', '),
    [...new Set(xs.map((x) => `${x.source}${x.historyUsed ? ` (${x.historyUsed} events)` : ''}`))].join(', '),
  ];
  const stageRow = (label: string, xs: StartupSample[]): string[] => {
    const st = stages(xs);
    return [
      label,
      `${ms(st.scriptStart)} ms`,
      `${ms(st.worker)} ms`,
      `${ms(st.modelFiles)} ms`,
      Number.isFinite(st.textFiles) ? `${ms(st.textFiles)} ms` : '—',
      `${ms(st.ready)} ms`,
      `${ms(st.first)} ms`,
      Number.isFinite(st.ort) ? `${ms(st.ort)} ms` : '—',
      Number.isFinite(st.lexical) ? `${ms(st.lexical)} ms` : '—',
    ];
  };
  const rows: [string, StartupSample[]][] = [
    ['cold', group('cold', 'default')],
    ['cached', group('cached', 'default')],
    ['cold, lexical-only search', group('cold', 'lexical')],
    ['cached, lexical-only search', group('cached', 'lexical')],
    ['browsing: 2nd visit', group('cached', 'browsing').filter((x) => x.visit === 1)],
    ['browsing: 3rd visit on', group('cached', 'browsing').filter((x) => x.visit >= 2)],
  ];
  const present = rows.filter(([, xs]) => xs.length > 0);
  out.push(
    '## Time to first recommendation',
    '',
    'The start-up page\'s module script calls `createRecommender({ model })` with the documented defaults (`backend: \'auto\'`, ' +
      'search with the Beauty text encoder) and then `recommend({ k: 10 })`; times are `performance.now()` (ms since navigation start). ' +
      '*Cold*: a new browser profile on disk (empty HTTP cache, Cache Storage and IndexedDB): a first-time shopper, popular items. ' +
      `*Cached*: the next visits in the same profile; the bench server sends \`Cache-Control: ${CACHE_CONTROL}\`, so files come from ` +
      'the HTTP cache, and the first visit left 5 views in the history, so the answer is personal (the encoder runs). ' +
      '*Lexical-only search*: the same with `search: { textModel: false }` (no text encoder to start). ' +
      `*Browsing*: fresh profiles again, but every visit stays on the page ${ms((r.settings.startup.browsing?.stayMs ?? 0) / 1000)} s after the first ` +
      `recommendation, recommending again every ${ms(r.settings.startup.browsing?.everyMs ?? 0)} ms, as a shopper looking around would; ` +
      'Whether earlier, longer visits make later ones faster (Chrome keeps compiled WebAssembly in its code cache once it has run hot) is what this row shows. ' +
      'Long tasks: `PerformanceObserver({ type: \'longtask\', buffered: true })` registered in the page\'s `<head>`, tasks over 50 ms ' +
      'on the main thread before the first recommendation.',
    '',
    table(
      ['visit', 'visits', 'first recommendation (since navigation, p50)', 'since createRecommender()', 'long tasks per visit', 'longest', 'requests to the server per visit', 'result'],
      present.map(([label, xs]) => startupRow(label, xs)),
    ),
    '',
    'Where the time goes (p50, ms after `createRecommender()` was called, from its progress reports as the main thread receives them):',
    '',
    table(
      ['visit', 'page script starts (since navigation)', 'first report from the worker', 'encoder, items, catalog verified', 'text encoder files verified', 'ready', 'then first recommend()', 'onnxruntime-web start alone', 'lexical index restore alone'],
      present.map(([label, xs]) => stageRow(label, xs)),
    ),
    '',
    'The last two columns are timed after the last visit of each profile (running onnxruntime again could warm Chrome\'s code ' +
      'cache for later visits), in a fresh worker of the same page, to split what the engine\'s progress reports do not: importing `onnxruntime-web/wasm`, instantiating its wasm (same HTTP cache) and creating the encoder session; ' +
      'reading the lexical index the visit left in IndexedDB and loading it into MiniSearch (12,101 titles).',
    '',
  );

  const t = r.track;
  const rate = (n: number, msTotal: number): string => `${Math.round((n / msTotal) * 1000).toLocaleString('en-US')} events/s`;
  out.push(
    '## track()',
    '',
    'Item views (every 7th a click) into the real IndexedDB history through the public API, starting from an empty history, ' +
      'default `historyCap` (10,000: older events are deleted in the same transaction once it is full), after an untimed ' +
      `warm-up. Load average ${t.load.join(', ')}.`,
    '',
    table(
      ['mode', 'events', 'time', 'throughput'],
      [
        ['stream: 100 events per task, no await until the end (sustained)', s.track.stream, `${ms(t.streamMs)} ms`, rate(s.track.stream, t.streamMs)],
        ...(s.track.stream > 10_000
          ? [
              ['… of which the first 10,000 (history filling)', 10_000, `${ms(t.untilCapMs)} ms`, rate(10_000, t.untilCapMs)],
              ['… and the rest (history at its cap: each batch also deletes as many old events)', s.track.stream - 10_000, `${ms(t.streamMs - t.untilCapMs)} ms`, rate(s.track.stream - 10_000, t.streamMs - t.untilCapMs)],
            ]
          : []),
        ['burst: all in one task, then await them all', s.track.burst, `${ms(t.burstMs)} ms`, rate(s.track.burst, t.burstMs)],
        [`one at a time, each awaited (p50 latency ${ms(p50(t.serialLatency))} ms, p95 ${ms(p95(t.serialLatency))} ms)`, s.track.serial, `${ms(t.serialMs)} ms`, rate(s.track.serial, t.serialMs)],
      ],
    ),
    '',
    'Events of one task share one IndexedDB transaction (the client batches per microtask), so throughput grows with the batch; ' +
      'an awaited call pays a worker round trip and a transaction commit.',
    '',
  );

  const h = r.history;
  out.push(
    '## History load at 10k events',
    '',
    `The engine's start-up read of the history (open the database, \`getAll\`, fold into the profile), with the engine's own ` +
      `modules in a dedicated worker, ${h.loadSamples.length} samples; and \`createRecommender()\` to ready with ${h.events.toLocaleString('en-US')} ` +
      `vs 0 stored events (${h.init10k.length} each, alternating; lexical index already in IndexedDB). Load average ${h.load.join(', ')}.`,
    '',
    table(
      ['measure', `${h.events.toLocaleString('en-US')} events`, '0 events', 'difference'],
      [
        ['history load (p50)', `${ms(p50(h.loadSamples))} ms`, `${ms(p50(h.emptyLoadSamples))} ms`, `${ms(p50(h.loadSamples) - p50(h.emptyLoadSamples))} ms`],
        ['createRecommender() (p50)', `${ms(p50(h.init10k))} ms`, `${ms(p50(h.init0))} ms`, `${ms(p50(h.init10k) - p50(h.init0))} ms`],
      ],
    ),
    '',
  );

  const sr = r.search;
  out.push(
    '## search() against Orama',
    '',
    `${sr.queries.length} queries made of the two most common content words of sampled Beauty titles (eval/search/queries.ts, e.g. ` +
      `${sr.queries.slice(0, 4).map((q) => `"${q}"`).join(', ')}), top 10, empty history (no personal re-rank), after ${s.search.warmup} ` +
      'warm-up queries. Both run in a worker: localshelf in its engine worker, Orama (`@orama/orama`, full-text BM25, default ' +
      'options, `properties: [\'title\']`) in a dedicated worker of the bench page over the same 12,101 titles. Round trip is ' +
      `timed on the main thread; "in worker" inside each worker. Load average ${sr.load.join(', ')}.`,
    '',
    table(
      ['engine', 'p50 round trip', 'p95 round trip', 'p50 in worker', 'results'],
      [
        ['localshelf search(): hybrid (MiniSearch BM25+ with prefix/typo matching + text encoder + cosine over 12k vectors)', `${ms(p50(sr.hybrid.rtt))} ms`, `${ms(p95(sr.hybrid.rtt))} ms`, `${ms(p50(sr.hybrid.worker))} ms`, sr.hybrid.hits],
        ['localshelf search(): lexical only (`search: { textModel: false }`)', `${ms(p50(sr.lexical.rtt))} ms`, `${ms(p95(sr.lexical.rtt))} ms`, `${ms(p50(sr.lexical.worker))} ms`, sr.lexical.hits],
        [`Orama full-text (index built in ${ms(sr.orama.buildMs)} ms)`, `${ms(p50(sr.orama.rtt))} ms`, `${ms(p95(sr.orama.rtt))} ms`, `${ms(p50(sr.orama.worker))} ms`, sr.orama.hits],
      ],
    ),
    '',
    'Search quality is measured elsewhere (`npm run eval:search`, EVAL.md); this table is speed only.',
    '',
  );

  out.push(
    '## Sizes',
    '',
    'gzip level 9. "As bundled" is the bench app\'s Vite build of the package (what a storefront ships); the main-thread row is ' +
      'the chunks a page that imports only `createRecommender` loads before its script runs.',
    '',
    table(
      ['what', 'raw', 'gzip', 'note'],
      r.sizes.map((z) => [z.what, bytes(z.raw), z.gzip === undefined ? '—' : bytes(z.gzip), z.note ?? '']),
    ),
    '',
  );

  out.push(
    '## Method notes',
    '',
    '- Timers: `performance.now()` is coarsened to 100 µs in a page that is not cross-origin isolated (5 µs when isolated); ' +
      'kernel samples time enough back-to-back calls to last ≥ 2 ms and divide.',
    '- The bench page imports the built package (`dist/`) through Vite, like the browser tests; the reference kernels import ' +
      'the engine\'s own modules (`workers/engine/`, `workers/history/`) into the bench worker.',
    '- The synthetic 100k model is the Beauty encoder with 100,000 random Gaussian item vectors quantized by the engine\'s ' +
      '`encodeItemMatrix`, a synthetic catalog.json, and sha256 recomputed (bench/synthetic-model.ts); it has no text tower.',
    '- WASM multi-threaded: onnxruntime-web uses `min(4, hardwareConcurrency)` threads when the page is cross-origin isolated.',
    '',
  );
  return out.join('\n');
}
