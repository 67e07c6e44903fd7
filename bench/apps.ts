/**
 * `npm run bench:apps`: builds the three storefront apps of test/consumer/apps from the packed package (Vite +
 * React, webpack 5, Next.js) and writes what each emits, raw and gzip, into BENCHMARKS.md's "Storefront builds"
 * section (the rest of the file is left as it is). Run `npm run build` first.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildBundlerApps } from '../test/consumer/bundler-apps';

const repo = fileURLToPath(new URL('..', import.meta.url));
const BEGIN = '<!-- storefront-builds:begin -->';
const END = '<!-- storefront-builds:end -->';
const MB = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
const kB = (n: number) => (n >= 1e6 ? MB(n) : `${(n / 1e3).toFixed(1)} kB`);

const built = buildBundlerApps((line) => console.log(`[bench:apps] ${line}`));
try {
  const lines = [
    BEGIN,
    '## Storefront builds: what each bundler emits from the packed package',
    '',
    `\`npm run bench:apps\` on ${new Date().toISOString().slice(0, 10)} (${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}): the apps of`,
    '`test/consumer/apps/` built from `npm pack` of this tree (the same builds `test/browser/bundler-apps.spec.ts` runs in',
    'Chromium), every file of the build output except the copied model folder. All three import the default entry',
    '(`localshelf`, WASM only): one onnxruntime-web wasm, no WebGPU (JSEP) build; an app that imports',
    '`localshelf/webgpu` gets the 28.3 MB JSEP wasm as well (docs/add-to-your-store.md).',
    '',
    '| app | bundler | install | build | files | total raw | total gzip | wasm | largest JS |',
    '|---|---|---:|---:|---:|---:|---:|---|---|',
  ];
  const detail: string[] = [];
  for (const app of built.apps) {
    const gz = app.assets.map((a) => ({ ...a, gzip: gzipSync(readFileSync(join(app.root, a.file)), { level: 9 }).length }));
    const wasm = gz.filter((a) => a.file.endsWith('.wasm'));
    const js = gz.filter((a) => /\.(m?js)$/.test(a.file));
    const total = gz.reduce((n, a) => n + a.bytes, 0);
    const totalGz = gz.reduce((n, a) => n + a.gzip, 0);
    lines.push(`| ${app.kind} | ${app.kind === 'next' ? 'Next.js' : app.kind === 'webpack' ? 'webpack' : 'Vite'} ${app.bundler} | ${app.installSeconds.toFixed(1)} s | ${app.buildSeconds.toFixed(1)} s | ${gz.length} | ${MB(total)} | ${MB(totalGz)} | ${wasm.map((w) => `${MB(w.bytes)} (${MB(w.gzip)} gzip)`).join(', ')} | ${js[0] ? `${kB(js[0].bytes)} (${kB(js[0].gzip)} gzip)` : '–'} |`);
    detail.push('', `**${app.kind}** (files over 10 kB; raw / gzip):`, '');
    for (const a of gz.filter((x) => x.bytes > 10_000)) detail.push(`- \`${a.file}\`: ${kB(a.bytes)} / ${kB(a.gzip)}`);
    const small = gz.filter((x) => x.bytes <= 10_000);
    if (small.length) detail.push(`- ${small.length} smaller files: ${kB(small.reduce((n, a) => n + a.bytes, 0))} / ${kB(small.reduce((n, a) => n + a.gzip, 0))}`);
  }
  lines.push(...detail, '', END);
  const path = join(repo, 'BENCHMARKS.md');
  const text = readFileSync(path, 'utf8');
  const section = lines.join('\n');
  const re = new RegExp(`${BEGIN}[\\s\\S]*?${END}`);
  writeFileSync(path, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`);
  console.log(section);
} finally {
  built.dispose();
}
