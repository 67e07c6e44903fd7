/**
 * Download sizes: the package as published (dist/), the same code as a storefront's bundler emits it (the bench
 * app build, minified, dependencies bundled), onnxruntime-web's wasm, and the model files. gzip level 9.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface SizeRow {
  what: string;
  files: string[];
  raw: number;
  gzip: number;
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
    row('transformers.js (loaded by the worker for the text encoder)', referenced(workerChunk[0]!, /^transformers\.web-.*\.js$/)),
  ];
  for (const w of find(assets, /\.wasm$/)) {
    const name = basename(w);
    const loaded = loadedWasm.some((l) => l.endsWith(name));
    rows.push(row(`wasm: ${name}`, [w], loaded ? 'downloaded at start-up on the WASM path' : 'emitted by the bundler; not requested on the WASM path'));
  }
  const textFiles = ['text/config.json', 'text/tokenizer.json', 'text/tokenizer_config.json', 'text/onnx/model_quantized.onnx'].map((f) => join(beauty, f));
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
