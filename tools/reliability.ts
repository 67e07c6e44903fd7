/**
 * `npm run reliability`: runs the fault, crash, tab, device-loss, hostile-input, long-session and CSP tests at
 * full size (three tabs for a minute, 20,000 calls each, the 10^5-input fuzz) and writes RELIABILITY.md from what
 * they measured. The same tests run smaller in `npm test`. Build first (`npm run build`; this command does).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, machine } from '../bench/machine';

const repo = fileURLToPath(new URL('..', import.meta.url));
const out = join(repo, 'test-results');
const SPECS = ['storage', 'tabs', 'device-lost', 'hostile', 'item-updates', 'long-session', 'csp', 'adapters'].map((s) => `test/browser/${s}.spec.ts`);
const SIZE = { TABS_SECONDS: '60', LONG_CALLS: '20000', HOSTILE_RUNS: '1000' };

interface PwResult {
  status: string;
  duration: number;
  retry: number;
  stdout: { text?: string }[];
  errors: { message?: string }[];
}
interface PwSpec {
  title: string;
  file: string;
  tests: { results: PwResult[] }[];
}
interface PwSuite {
  specs?: PwSpec[];
  suites?: PwSuite[];
}
interface Fuzz {
  seed: number;
  runsPerTarget: number;
  targets: { target: string; runs: number; typedErrors: number; ms: number }[];
}

const log = (line: string): void => void process.stdout.write(`[reliability] ${line}\n`);

function specsOf(suite: PwSuite): PwSpec[] {
  return [...(suite.specs ?? []), ...(suite.suites ?? []).flatMap(specsOf)];
}

/** The bracketed figure lines a test printed (`[tabs] …`). */
const figures = (r: PwResult | undefined): string[] =>
  (r?.stdout ?? [])
    .flatMap((s) => (s.text ?? '').split('\n'))
    .filter((l) => /^\[[a-z-]+\] /.test(l))
    .map((l) => l.replace(/^\[[a-z-]+\] /, ''));

/** What each case shows, and the failure it keeps out (the spec's test titles carry the expected behaviour). */
const CASES: { area: string; file: string; match: RegExp }[] = [
  { area: 'Storage', file: 'storage', match: /IndexedDB missing|newer schema|deleted by the page|quota exhausted/ },
  { area: 'Storage', file: 'adapters', match: /quota exhausted while a new adapter/ },
  { area: 'Crashes', file: 'storage', match: /worker killed/ },
  { area: 'Crashes', file: 'adapters', match: /reloaded in the middle of an adapter swap/ },
  { area: 'Several tabs', file: 'tabs', match: /three tabs/ },
  { area: 'Several tabs', file: 'storage', match: /upgraded by a newer version in another tab/ },
  { area: 'GPU device lost', file: 'device-lost', match: /./ },
  { area: 'Hostile input', file: 'hostile', match: /./ },
  { area: 'Hostile input', file: 'item-updates', match: /./ },
  { area: 'Long sessions', file: 'long-session', match: /./ },
  { area: 'Strict CSP', file: 'csp', match: /./ },
];

function main(): void {
  const started = Date.now();
  const loadStart = load();
  log('building the package');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: repo, stdio: 'inherit' });
  mkdirSync(out, { recursive: true });
  log(`fuzz: 10,000 inputs per target`);
  const fuzzFile = join(out, 'fuzz.json');
  const fuzz = spawnSync('npx', ['vitest', 'run', '--project', 'unit', 'test/fuzz'], {
    cwd: repo,
    stdio: 'inherit',
    env: { ...process.env, FUZZ_RUNS: '10000', FUZZ_REPORT: fuzzFile },
  });
  const fuzzReport = JSON.parse(readFileSync(fuzzFile, 'utf8')) as Fuzz;
  log(`browser cases at full size (${Object.entries(SIZE).map(([k, v]) => `${k}=${v}`).join(', ')})`);
  const pwFile = join(out, 'reliability.json');
  const pw = spawnSync('npx', ['playwright', 'test', ...SPECS, '--reporter=json', '--retries=0'], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...SIZE, PLAYWRIGHT_JSON_OUTPUT_NAME: pwFile },
    maxBuffer: 64 << 20,
  });
  const report = JSON.parse(readFileSync(pwFile, 'utf8')) as { suites: PwSuite[] };
  const specs = report.suites.flatMap(specsOf);
  const m = machine();
  const lines: string[] = [
    '# Reliability',
    '',
    `Written by \`npm run reliability\` (tools/reliability.ts; ${Math.round((Date.now() - started) / 1000)} s). Every figure below comes from this one run. ` +
      'The same tests run in `npm test` at a smaller size (a few seconds of tabs, 2,000 calls, 300 fuzz inputs per target).',
    '',
    `- **Date:** ${new Date().toISOString()}`,
    `- **Machine:** ${m.nproc} CPUs (\`nproc\`), ${m.cpuModel}, ${m.memGiB} GiB memory, ${m.os}`,
    `- **Load average (1, 5, 15 min):** ${loadStart.join(', ')} at the start, ${load().join(', ')} at the end.`,
    `- **Sizes:** ${Object.entries(SIZE).map(([k, v]) => `\`${k}=${v}\``).join(', ')}; fuzz ${fuzzReport.runsPerTarget.toLocaleString('en-US')} inputs per target, seed ${fuzzReport.seed}.`,
    '',
    '| area | case (the test asserts this) | result | measured | test |',
    '|---|---|---|---|---|',
  ];
  let failed = 0;
  for (const c of CASES) {
    for (const spec of specs.filter((s) => s.file.endsWith(`${c.file}.spec.ts`) && c.match.test(s.title))) {
      const r = spec.tests[0]?.results.at(-1);
      const ok = r?.status === 'passed';
      if (!ok) failed++;
      const measured = figures(r).join('; ') || `${((r?.duration ?? 0) / 1000).toFixed(1)} s`;
      const why = ok ? '' : ` (${(r?.errors[0]?.message ?? r?.status ?? 'not run').split('\n')[0]!.slice(0, 160)})`;
      lines.push(`| ${c.area} | ${spec.title.replace(/\|/g, '\\|')} | ${ok ? 'pass' : `**FAIL**${why}`} | ${measured.replace(/\|/g, '\\|')} | \`${spec.file}\` |`);
    }
  }
  const total = fuzzReport.targets.reduce((n, t) => n + t.runs, 0);
  lines.push(
    '',
    '## Hostile input: the fuzz targets',
    '',
    `${total.toLocaleString('en-US')} generated inputs (fast-check, seed ${fuzzReport.seed}; \`npm run fuzz\`, test/fuzz/): each input either returns or throws a \`LocalshelfError\` with the codes the target allows; anything else fails. ${fuzz.status === 0 ? 'All targets passed.' : '**The fuzz run failed** (see its output).'}`,
    '',
    '| target | inputs | typed errors | other outcomes | time |',
    '|---|---|---|---|---|',
    ...fuzzReport.targets.map((t) => `| ${t.target} | ${t.runs.toLocaleString('en-US')} | ${t.typedErrors.toLocaleString('en-US')} | ${(t.runs - t.typedErrors).toLocaleString('en-US')} accepted | ${t.ms} ms |`),
    '',
    'Found by it and fixed: an object without a prototype anywhere in the options made `String()` throw a TypeError instead of ' +
      '`INVALID_ARGUMENT`; `recommend(null)` and a non-object `filter` threw TypeErrors; sha256 lookups in the manifest could find ' +
      '`Object.prototype` members ("toString"); a catalog.json with repeated ids was accepted.',
    '',
    '## Behaviours, and where they are documented',
    '',
    "- History storage: `storage: 'auto'` (default) falls back to memory when IndexedDB is missing, refuses to open, holds a newer schema or something that is not a history; `recommender.storage` / `storageInfo` say which and why; a database deleted, evicted or upgraded by another tab while running makes the recommender close its connection at once and go on in memory (`storagechange`). Damaged records are skipped and counted (`storageInfo.skipped`), never deleted. README, \"Storage\".",
    '- Several tabs: workers of one `storageName` send the events they store over a BroadcastChannel; each tab\'s profile takes them in, so recommendations see the other tabs\' events (latency above).',
    '- GPU device lost: the encoder reopens on WASM on the runtime already loaded; runs in flight are retried there; `backend` and `backendchange` (with `recoveryMs`) tell the page.',
    "- CSP: `script-src 'self' 'wasm-unsafe-eval'` is all the library needs; without `'wasm-unsafe-eval'` start-up rejects with `BACKEND_UNAVAILABLE`. README, \"Content-Security-Policy\".",
    '- Heap figures are the JavaScript heaps (page: `performance.memory`; worker: CDP `Runtime.getHeapUsage`), after a forced GC; onnxruntime\'s WebAssembly memory is not in them.',
    '',
  );
  writeFileSync(join(repo, 'RELIABILITY.md'), `${lines.join('\n')}`);
  log(`wrote RELIABILITY.md (${failed} failed case(s); playwright exit ${pw.status}, fuzz exit ${fuzz.status})`);
  process.exitCode = failed > 0 || pw.status !== 0 || fuzz.status !== 0 ? 1 : 0;
}

main();
