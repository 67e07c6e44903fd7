/**
 * `npm run bench:lexical`: the persisted lexical index's save and restore in headless Chromium, on the shipped Beauty
 * catalog's titles and on generated ones (the words of bench/synthetic-model.ts, each title with its own number, as
 * in `bench:scale`): how long each takes
 * and the longest the page's event loop was held meanwhile, for the parts 0.2.0 writes and the one JSON string that
 * earlier versions wrote. Runs on a page's main thread (the same V8 as the engine's worker). Writes BENCHMARKS.md's
 * "Lexical index: save and restore" section.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build, type Rollup } from 'vite';
import { CHROMIUM_ARGS } from '../playwright.config';
import { load, machine } from './machine';
import { ms } from './stats';
import { replaceMarkedSection, sectionMarkers } from '../eval/sections';
import { KINDS, WORDS } from './synthetic-model';
import type { Phase } from './lexical/page-entry';

const repo = fileURLToPath(new URL('..', import.meta.url));
const { begin: BEGIN, end: END } = sectionMarkers('lexical-persist');
const SIZES = (process.env.BENCH_LEXICAL_DOCS ?? '100000,1000000').split(',').map(Number);

const out = (await build({
  configFile: false,
  logLevel: 'warn',
  build: {
    write: false,
    minify: false,
    lib: { entry: join(repo, 'bench/lexical/page-entry.ts'), formats: ['iife'], name: 'lexicalBenchPage', fileName: 'page' },
  },
})) as Rollup.RollupOutput[] | Rollup.RollupOutput;
const code = (Array.isArray(out) ? out[0]! : out).output[0].code;

const start = load();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
const rows: string[] = [];
try {
  const page = await browser.newPage();
  await page.goto('about:blank');
  await page.addScriptTag({ content: code });
  const beauty = (JSON.parse(readFileSync(join(repo, 'public/models/beauty/catalog.json'), 'utf8')) as { items: { title: string }[] }).items.map((e) => e.title);
  const runs: { label: string; n: number; titles?: string[] }[] = [
    { label: `Beauty catalog, ${beauty.length.toLocaleString('en-US')} real titles`, n: beauty.length, titles: beauty },
    ...SIZES.map((n) => ({ label: `${n.toLocaleString('en-US')} generated`, n })),
  ];
  for (const { label, n, titles } of runs) {
    console.log(`[bench:lexical] ${label}`);
    const r = await page.evaluate(
      ([n, kinds, words, titles]) =>
        (globalThis as unknown as { lexicalBench: (n: number, k: string[], w: string[], t?: string[]) => Promise<{ phases: Phase[]; parts: number; chars: number }> }).lexicalBench(n, kinds, words, titles),
      [n, KINDS, WORDS, titles] as [number, string[], string[], string[] | undefined],
    );
    for (const p of r.phases) rows.push(`| ${label} | ${p.phase} | ${ms(p.ms)} | ${ms(p.longestBlockMs)} |`);
    rows.push(`| ${label} | (0.2.0's record: ${r.parts} parts, ${(r.chars / 1e6).toFixed(1)} M characters) | | |`);
  }
} finally {
  await browser.close();
}
const m = machine();
const section = [
  BEGIN,
  '## Lexical index: save and restore',
  '',
  `\`npm run bench:lexical\` (bench/lexical.ts) on ${new Date().toISOString().slice(0, 10)}, ${m.nproc} CPUs (${m.cpuModel}), load ${start.join(', ')} at the start, ${load().join(', ')} at the end,`,
  'headless Chromium, on a page\'s main thread: `LexicalIndex` over the shipped Beauty catalog\'s titles and over generated',
  'ones (those of `bench:scale`: three catalog words and a number of its own each), built, then saved and restored as',
  '0.2.0 persists it (`serialize` / `deserialize`:',
  'JSON parts of about 20,000 entries with a pause between parts) and as earlier versions did (`toJSON` / `fromJSON`, one',
  'string). IndexedDB itself is left out (the engine writes the result in one `put`). "Longest block": the longest gap',
  'between the runs of a 0 ms timer re-armed throughout: how long a recommend() arriving meanwhile could wait.',
  '',
  '| catalog | phase | time | longest block |',
  '|---:|---|---:|---:|',
  ...rows,
  END,
].join('\n');
const path = join(repo, 'BENCHMARKS.md');
writeFileSync(path, `${replaceMarkedSection(readFileSync(path, 'utf8'), 'lexical-persist', section).trimEnd()}\n`);
console.log(section);
