/**
 * Download sizes: the package as published (dist/), the same code as a storefront's bundler emits it (the bench
 * app build, minified, dependencies bundled), onnxruntime-web's wasm, and the model files. gzip level 9.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FreshApp } from '../test/consumer/fresh-app';

export interface SizeRow {
  what: string;
  files: string[];
  raw: number;
  /** Absent where gzip says nothing (a node_modules folder, a tarball that is gzip already). */
  gzip?: number;
  note?: string;
}

const gz = (b: Uint8Array): number => gzipSync(b, { level: 9 }).byteLength;

function row(what: string, paths: string[], note?: string): SizeRow {
  let raw = 0;
  let gzip = 0;
  for (const p of paths) {
    const b = readFileSync(p);
    raw += b.byteLength;
    gzip += gz(b);
  }
  return { what, files: paths.map((p) => basename(p)), raw, gzip, ...(note ? { note } : {}) };
}

/** `file` and the local chunks it imports statically (`import … from "./x.js"`), transitively. */
function staticClosure(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  const out = [file];
  for (const m of code.matchAll(/(?:^|[;\s}])(?:import|export)\s*(?:[^'"();]*?\bfrom\s*)?["'](\.\.?\/[^"']+\.js)["']/g)) {
    out.push(...staticClosure(join(dirname(file), m[1]!), seen));
  }
  return out;
}

interface ViteManifestEntry {
  file: string;
  imports?: string[];
}

/** The bundler's chunks a page loads before its script runs: the entry and its static imports (Vite manifest). */
function manifestClosure(appDir: string, entry: string): string[] {
  const manifest = JSON.parse(readFileSync(join(appDir, '.vite/manifest.json'), 'utf8')) as Record<string, ViteManifestEntry>;
  const out = new Set<string>();
  const visit = (key: string): void => {
    const e = manifest[key];
    if (!e || out.has(e.file)) return;
    out.add(e.file);
    e.imports?.forEach(visit);
  };
  visit(entry);
  return [...out].map((f) => join(appDir, f));
}

/** Local chunks `file` names (static or dynamic import, any quote), matching `pattern`. */
function referenced(file: string, pattern: RegExp): string[] {
  const code = readFileSync(file, 'utf8');
  const names = new Set([...code.matchAll(/["'`]\.\/([^"'`/]+\.js)["'`]/g)].map((m) => m[1]!));
  return [...names].filter((n) => pattern.test(n)).map((n) => join(dirname(file), n));
}

const find = (dir: string, pattern: RegExp): string[] =>
  readdirSync(dir)
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => join(dir, f));

/** Every size row of the report. `loadedWasm`: wasm file names the server saw requested during a cold start. */
export function measureSizes(repo: string, appDir: string, synthetic: string, loadedWasm: readonly string[]): SizeRow[] {
  const dist = join(repo, 'dist');
  const assets = join(appDir, 'assets');
  const beauty = join(repo, 'public/models/beauty');
  const workerChunk = find(assets, /^recommender\.worker-.*\.js$/);
  if (workerChunk.length !== 1) throw new Error(`expected one recommender.worker chunk, found ${workerChunk.length}`);
  const rows: SizeRow[] = [
    row('main-thread entry, as published (dist/localshelf.js + its static chunks; unminified, comlink external)', staticClosure(join(dist, 'localshelf.js'))),
    row('main-thread entry, as bundled by the app (minified, comlink included)', manifestClosure(appDir, 'size.html')),
    row('worker chunk, as published (dist/recommender.worker.js + its static chunks; unminified, deps external)', staticClosure(join(dist, 'recommender.worker.js'))),
    row('worker chunk, as bundled by the app (minified; idb, minisearch, comlink included)', workerChunk),
    // The chunks the library's worker imports (the bench's own workers carry copies of some).
    row('onnxruntime-web JS, WASM path (loaded by the worker)', referenced(workerChunk[0]!, /^ort\.wasm\.bundle\.min-.*\.js$/)),
    row('onnxruntime-web JS, WebGPU path (loaded only on WebGPU)', referenced(workerChunk[0]!, /^ort\.bundle\.min-.*\.js$/)),
  ];
  for (const w of find(assets, /\.wasm$/)) {
    const name = basename(w);
    const loaded = loadedWasm.some((l) => l.endsWith(name));
    rows.push(row(`wasm: ${name}`, [w], loaded ? 'downloaded at start-up on the WASM path' : 'emitted by the bundler; not requested on the WASM path'));
  }
  const textFiles = ['text/tokenizer.json', 'text/tokenizer_config.json', 'text/onnx/model_quantized.onnx'].map((f) => join(beauty, f));
  rows.push(
    row('model (Beauty): encoder.int8.onnx', [join(beauty, 'encoder.int8.onnx')]),
    row('model (Beauty): items.lsim (12,101 × 64 int8)', [join(beauty, 'items.lsim')]),
    row('model (Beauty): text encoder folder (onnx + tokenizer)', textFiles.filter((f) => statSync(f, { throwIfNoEntry: false }))),
    row('catalog (Beauty): catalog.json', [join(beauty, 'catalog.json')]),
    row('model (synthetic 100k): items.lsim (100,000 × 64 int8)', [join(synthetic, 'items.lsim')]),
    row('catalog (synthetic 100k): catalog.json', [join(synthetic, 'catalog.json')]),
  );
  return rows;
}

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

/**
 * What a new Vite app gets from the packed package with no configuration of its own (test/consumer/fresh-app.ts):
 * the tarball, its node_modules, and every asset `vite build` emits.
 */
export function freshAppSizes(app: FreshApp): SizeRow[] {
  const ort = app.packages.filter((p) => p.name === 'onnxruntime-web').map((p) => `${p.version} at ${p.path}`);
  const rows: SizeRow[] = [
    { what: 'fresh Vite app: the package tarball (`npm pack`)', files: [basename(app.tarball.file)], raw: app.tarball.bytes, note: `${app.tarball.files.length} files: ${app.tarball.files.filter((f) => f.startsWith('dist/')).length} in dist/ (the library), ${app.tarball.files.filter((f) => f.startsWith('training/') || f.startsWith('bin/')).length} in bin/ + training/ (localshelf-train: the Python pipeline and its tokenizer copy)` },
    {
      what: 'fresh Vite app: node_modules after `npm i vite localshelf-*.tgz` (no .npmrc, no environment variable)',
      files: [],
      raw: app.nodeModulesBytes,
      note: `${app.packages.length} packages, install ${app.installSeconds.toFixed(0)} s from the npm cache; largest: ${app.largest
        .slice(0, 3)
        .map((p) => `${p.name} ${mb(p.bytes)}`)
        .join(', ')}; onnxruntime-web: ${ort.join(', ')}`,
    },
  ];
  for (const a of app.assets) {
    const isWorker = a.file === app.workerChunk.file;
    rows.push(
      row(
        `fresh Vite app: ${isWorker ? 'worker chunk ' : ''}${a.file}`,
        [join(app.dist, 'assets', a.file)],
        isWorker ? "Vite's default worker format (iife) inlines onnxruntime-web's lazily imported JS; `worker: { format: 'es' }` keeps it in separate chunks (rows above)" : undefined,
      ),
    );
  }
  return rows;
}
