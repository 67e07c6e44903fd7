/**
 * Precomputes the catalog's text vectors with a text model, at build time, for search with a text model whose
 * vectors do not fit the item matrix (e.g. a 384-d MiniLM beside a 64-d recommender). Output: an LSIM file
 * (docs/artifacts.md), one int8 row per catalog.json item, in order; pass its URL as `search.textVectors`.
 * It runs the same text encoder as the worker (WordPiece + the text tower, on onnxruntime-node), with mean pooling.
 *
 *   npm run search-vectors -- --catalog public/models/beauty/catalog.json --text-model public/models/beauty/text \
 *     --out public/models/beauty/text-vectors.lsim [--dtype q8]
 */
import * as ort from 'onnxruntime-node';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TextDtype } from '../src/search';
import { encodeItemMatrix } from '../workers/engine/item-matrix';
import { openTextEncoder } from '../workers/search/text-encoder';
import { readFileUrl } from '../eval/read-file-url';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

const catalog = JSON.parse(readFileSync(resolve(arg('catalog')), 'utf8')) as { items: { id: string; title: string }[] };
const folder = pathToFileURL(`${resolve(arg('text-model'))}/`).href;
const encoder = await openTextEncoder({
  folder,
  dtype: arg('dtype', 'q8') as TextDtype,
  ort: ort as never,
  executionProvider: 'cpu',
  fetchFile: readFileUrl,
});
const titles = catalog.items.map((i) => i.title);
const vectors = new Float32Array(titles.length * encoder.dim);
const started = performance.now();
for (let i = 0; i < titles.length; i += 256) vectors.set(await encoder.embed(titles.slice(i, i + 256)), i * encoder.dim);
const bytes = new Uint8Array(encodeItemMatrix(vectors, titles.length, encoder.dim));
const out = resolve(arg('out'));
writeFileSync(out, bytes);
process.stdout.write(
  `${titles.length} × ${encoder.dim} text vectors in ${((performance.now() - started) / 1000).toFixed(1)} s → ${out}\n` +
    `sha256 ${createHash('sha256').update(bytes).digest('hex')}\n`,
);
