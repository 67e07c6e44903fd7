/**
 * `npm run bench:encoder`: where the encoder's time goes (issue 15's first question), measured in a dedicated
 * worker of a bench page in Debian's headless Chromium with the engine's own modules and settings (see
 * bench/app/encoder.worker.ts), on the shipped Beauty model. Writes BENCHMARKS.md's "Encoder breakdown" section
 * (the rest of the file is left as it is). Run `npm run build` first.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { CHROMIUM_ARGS } from '../playwright.config';
import { load, machine } from './machine';
import { startBenchServer } from './serve';
import { ms, p50, percentile } from './stats';

const repo = fileURLToPath(new URL('..', import.meta.url));
const BEGIN = '<!-- encoder-breakdown:begin -->';
const END = '<!-- encoder-breakdown:end -->';
const CALLS = Number(process.env.BENCH_ENCODER_CALLS ?? 60);
const WARMUP = 30;

const log = (s: string) => console.log(`[bench:encoder] ${s}`);
await build({ configFile: join(repo, 'bench/vite.config.ts'), logLevel: 'warn' });
// the shipped folder without encoder.base.int8.onnx: what the engine runs on a folder that lacks it
const fullOnly = join(repo, 'bench/out/app/models/beauty-full-only');
cpSync(join(repo, 'public/models/beauty'), fullOnly, { recursive: true });
const fm = JSON.parse(readFileSync(join(fullOnly, 'manifest.json'), 'utf8')) as { files: Record<string, string>; sha256: Record<string, string> };
delete fm.sha256[fm.files.encoderBase!];
delete fm.files.encoderBase;
writeFileSync(join(fullOnly, 'manifest.json'), JSON.stringify(fm, null, 2));
// the encoder without its LoRA branch (training/strip_lora.py; needs Python with onnx), served beside the app
const noLora = join(repo, 'bench/out/app/encoder-nolora.int8.onnx');
let stripped = true;
try {
  log(execFileSync('/usr/bin/python3', ['-m', 'training.strip_lora', join(repo, 'public/models/beauty/encoder.int8.onnx'), noLora], { encoding: 'utf8', cwd: repo }).trim());
} catch (error) {
  stripped = false;
  log(`no LoRA-free variant (${String(error).split('\n')[0]}): its rows are left out`);
}
const server = await startBenchServer(join(repo, 'bench/out/app'), false);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
const start = load();
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => log(`[pageerror] ${e.message}`));
  await page.goto(`${server.url}/encoder.html`);
  log(`${CALLS} interleaved samples of each phase after ${WARMUP} warm-up rounds`);
  const res = await page.evaluate(([calls, warmup]) => window.benchEncoder(calls!, warmup!), [CALLS, WARMUP]);
  log('graph variants');
  const variants = stripped ? await page.evaluate(() => window.benchEncoderVariants('./encoder-nolora.int8.onnx', 40, 10)) : [];
  log('recommend() in the engine: own encoder, onnxruntime with and without the LoRA-free graph');
  const ab = await page.evaluate(() => window.benchEngineAB(400));
  const whole = p50(res.phases.find((p) => p.phase.startsWith('the whole encode as the engine'))!.samples);
  const baseVariant = variants.find((v) => v.graph === 'no-lora' && v.optimization === 'disabled');
  const baseRun = baseVariant ? p50(baseVariant.samples) : undefined;
  const m = machine();
  const at = (prefix: string) => p50(res.phases.find((p) => p.phase.startsWith(prefix))!.samples);
  const share = (prefix: string) => Math.round((100 * at(prefix)) / whole);
  const lines = [
    BEGIN,
    '## Encoder breakdown: where an encode goes',
    '',
    `\`npm run bench:encoder\` (bench/encoder.ts) on ${new Date().toISOString().slice(0, 10)}, ${m.nproc} CPUs, load ${start.join(', ')} at the start: the`,
    `shipped Beauty encoder (maxLen ${res.maxLen}, dim ${res.dim}, ${res.loraInputs} LoRA inputs) in a dedicated module worker of a page in headless`,
    'Chromium, onnxruntime-web/wasm with the engine\'s settings (1 thread, graph optimisation off), each phase timed',
    `${CALLS} samples, interleaved with the others, after ${WARMUP} warm-up rounds; a sample times ${res.phases.map((p) => p.reps).filter((r, i, a) => a.indexOf(r) === i).join(' or ')} back-to-back calls and`,
    'divides (the worker\'s clock has a 0.1 ms grain without cross-origin isolation). Share = p50 / p50 of the whole encode.',
    '',
    '| phase | p50 | p10 | p90 | share of the whole encode |',
    '|---|---:|---:|---:|---:|',
    ...res.phases.map((p) => `| ${p.phase} | ${ms(p50(p.samples))} | ${ms(percentile(p.samples, 10))} | ${ms(percentile(p.samples, 90))} | ${Math.round((100 * p50(p.samples)) / whole)} % |`),
    '',
    `- Outside \`session.run\` (inputs + the two tensors): ${ms(at('build the inputs and create'))} of ${ms(whole)}; \`session.run\` with the same`,
    `  feeds: ${ms(at('session.run, same'))} (${share('session.run, same')} %). The whole encode with 1 / 10 / 50 events: ${ms(at('the whole encode, 1 event'))} /`,
    `  ${ms(whole)} / ${ms(at('the whole encode, 50 events'))} (the graph computes all ${res.maxLen} positions, padding included, and every LoRA branch).`,
    `- The library's own encoder (workers/engine/encoder/, the default) on the same histories: 1 / 10 / 50 events`,
    `  ${ms(at('own encoder (localshelf'))} / ${ms(at('own encoder, 10'))} / ${ms(at('own encoder, 50'))} (it computes only the history's own positions, the last block only`,
    `  for the last one, with weights dequantized once): ${(whole / at('own encoder, 10')).toFixed(1)}× faster than onnxruntime's whole encode of the shipped graph at 10 events,`,
    `  ${(at('the whole encode, 50 events') / at('own encoder, 50')).toFixed(1)}× at 50${baseRun ? `; against onnxruntime on the LoRA-free graph (what the engine ran before, ${ms(baseRun)} a run at 10 events in the variants below): ${(baseRun / at('own encoder, 10')).toFixed(1)}× at 10 events, ${(baseRun / at('own encoder, 50')).toFixed(1)}× at 50` : ''}.`,
    ...(variants.length
      ? [
          '',
          '### The same encode on graph variants',
          '',
          'The shipped graph and the same graph without its LoRA branch (`training/strip_lora.py`: what runs while no',
          'adapter is active), each with onnxruntime\'s graph optimisation disabled (the engine\'s setting), `basic` and `all`;',
          `${variants[0]!.samples.length} samples of ${variants[0]!.reps} calls each (session.run + reading the output). Max diff: largest |difference| of`,
          'user_vector against the shipped graph without optimisation (zero LoRA feeds).',
          '',
          '| graph | optimisation | session create | run p50 | run p10 | max diff |',
          '|---|---|---:|---:|---:|---:|',
          ...variants.map((v) => `| ${v.graph === 'full' ? 'shipped (with LoRA inputs)' : 'LoRA branch removed'} | ${v.optimization} | ${ms(v.createMs)} | ${ms(p50(v.samples))} | ${ms(percentile(v.samples, 10))} | ${v.maxAbsDiff.toExponential(1)} |`),
          '',
          'The first session create also compiles and instantiates onnxruntime\'s wasm (the later ones reuse it), and the',
          'variants run one after the other, not interleaved: compare p10 as well as p50.',
        ]
      : []),
    '',
    '### recommend() in the engine: the own encoder, and onnxruntime with and without the LoRA-free graph',
    '',
    `${ab.base.length} \`recommend({ k: 10 })\` calls on each of three recommenders in one page, interleaved (WASM, 1 thread, search off,`,
    'the same history in all three, one more view before every call so that each call encodes: the engine reuses the user vector of an unchanged history): the shipped folder on the library\'s own encoder (the default, `runtime: \'auto\'`) and in',
    'onnxruntime (`runtime: \'onnxruntime\'`, its `encoder.base.int8.onnx`, as while no adapter with LoRA is active), and',
    'the same folder without that file (onnxruntime, the full graph with zero LoRA feeds). Time: the call\'s',
    `in-worker \`elapsedMs\` (0.1 ms grain). Same top-10: ${ab.sameTop10 ? 'yes' : '**no**'}.`,
    '',
    '| encoder | p10 | p50 | p90 |',
    '|---|---:|---:|---:|',
    `| own encoder (default) | ${ms(percentile(ab.own, 10))} | ${ms(p50(ab.own))} | ${ms(percentile(ab.own, 90))} |`,
    `| onnxruntime, encoder.base.int8.onnx | ${ms(percentile(ab.base, 10))} | ${ms(p50(ab.base))} | ${ms(percentile(ab.base, 90))} |`,
    `| onnxruntime, full graph only | ${ms(percentile(ab.full, 10))} | ${ms(p50(ab.full))} | ${ms(percentile(ab.full, 90))} |`,
    END,
  ];
  const section = lines.join('\n');
  const path = join(repo, 'BENCHMARKS.md');
  const text = readFileSync(path, 'utf8');
  const re = new RegExp(`${BEGIN}[\\s\\S]*?${END}`);
  writeFileSync(path, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`);
  console.log(section);
} finally {
  await browser.close();
  await server.close();
}
