/**
 * The engine's search stack in Node, over an exported model folder: the same MiniSearch index, the same
 * text encoder (WordPiece + the text tower on onnxruntime-node), the same fusion code, and user vectors from the exported
 * int8 history encoder. Nothing here re-implements ranking: it calls workers/search/.
 */
import * as ort from 'onnxruntime-node';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { ModelFolder } from '../artifacts';
import { openEncoder, zeroLoraFeeds } from '../run-model';
import { CatalogIndex } from '../../workers/catalog-index';
import { buildEncoderBatch, createEncoderInputBuffers, ENCODER_INPUTS, ENCODER_OUTPUT, type HistoryEvent } from '../../workers/engine/encoder-input';
import { quantizeRows, type ItemMatrix } from '../../workers/engine/item-matrix';
import { CANDIDATES, fuse, type FusedHit, type FusionWeights } from '../../workers/search/fuse';
import { LexicalIndex, type LexicalHit } from '../../workers/search/lexical-index';
import { cosineAll, rowNorms } from '../../workers/search/semantic';
import { openTextEncoder, type TextEncoder } from '../../workers/search/text-encoder';
import { readFileUrl } from '../read-file-url';
import { userVectorsOf } from '../user-vectors';

export interface Stack {
  folder: ModelFolder;
  matrix: ItemMatrix;
  catalog: CatalogIndex;
  lexical: LexicalIndex;
  text: TextEncoder;
  norms: Float32Array;
  session: ort.InferenceSession;
  /** Milliseconds to build the lexical index. */
  indexMs: number;
}

/** Opens the stack over `folder` (which must hold items.lsim, catalog.json, the int8 encoder and text/). */
export async function openStack(folder: ModelFolder): Promise<Stack> {
  const { matrix, catalogIds, catalogTitles, manifest, encoders } = folder;
  if (!matrix || !catalogIds || !catalogTitles || !manifest || !encoders.int8) throw new Error(`${folder.dir}: incomplete model folder`);
  const catalog = new CatalogIndex(catalogIds.map((id, i) => ({ id, title: catalogTitles[i]!, popularity: 0 })));
  const t0 = performance.now();
  const lexical = LexicalIndex.build(catalogTitles.map((title, id) => ({ id, title })));
  const indexMs = performance.now() - t0;
  const text = await openTextEncoder({
    folder: pathToFileURL(join(folder.dir, 'text') + '/').href,
    dtype: 'q8',
    ort: ort as never,
    executionProvider: 'cpu',
    fetchFile: readFileUrl,
  });
  const session = await openEncoder(encoders.int8);
  return { folder, matrix, catalog, lexical, text, norms: rowNorms(matrix), session, indexMs };
}

/** User vectors of `histories` (matrix rows, oldest first), `[n, dim]` row-major, in batches. */
export function userVectors(stack: Stack, histories: readonly (readonly number[])[], matrix = stack.matrix): Promise<Float32Array> {
  return userVectorsOf(stack.session, matrix, stack.folder.manifest!.maxLen, stack.folder.manifest!.lora, histories);
}

/** What retrieval gives for one query, before fusion (so weights can be tried without re-retrieving). */
export interface Retrieved {
  lexical: LexicalHit[];
  semantic: Float32Array;
  /** The query's text vector. */
  vector: Float32Array;
  /** Milliseconds: query embedding, lexical retrieval, semantic scoring. */
  ms: { embed: number; lexical: number; semantic: number };
}

export async function retrieve(stack: Stack, query: string, matrix = stack.matrix, norms = stack.norms, given?: Float32Array): Promise<Retrieved> {
  const t0 = performance.now();
  const vector = given ?? (await stack.text.embed([query]));
  const t1 = performance.now();
  const lexical = stack.lexical.search(stack.lexical.terms(query), CANDIDATES.lexical);
  const t2 = performance.now();
  const semantic = cosineAll(matrix, norms, vector);
  const t3 = performance.now();
  return { lexical, semantic, vector, ms: { embed: t1 - t0, lexical: t2 - t1, semantic: t3 - t2 } };
}

/** Text vectors of every catalog title (the text encoder alone, no ID part), int8 like the item matrix. */
export async function titleVectors(stack: Stack, titles: readonly string[]): Promise<{ matrix: ItemMatrix; norms: Float32Array; ms: number }> {
  const t0 = performance.now();
  const dim = stack.text.dim;
  const all = new Float32Array(titles.length * dim);
  for (let i = 0; i < titles.length; i += 256) all.set(await stack.text.embed(titles.slice(i, i + 256)), i * dim);
  const { scales, q } = quantizeRows(all, titles.length, dim);
  const matrix = { rows: titles.length, dim, scales, q };
  return { matrix, norms: rowNorms(matrix), ms: performance.now() - t0 };
}

/** `user · item` scorer for a row of `matrix`. */
export function personalScorer(matrix: ItemMatrix, user: Float32Array): (row: number) => number {
  const { dim, q, scales } = matrix;
  return (row) => {
    let s = 0;
    for (let j = 0, o = row * dim; j < dim; j++) s += q[o + j]! * user[j]!;
    return scales[row]! * s;
  };
}

/** 1-based rank of `target` in the fused ranking, or `Infinity` when it is not among the candidates. */
export function rankOf(hits: readonly FusedHit[], target: number): number {
  const i = hits.findIndex((h) => h.row === target);
  return i < 0 ? Infinity : i + 1;
}

export function fused(r: Retrieved, rows: number, weights: FusionWeights, personal?: (row: number) => number): FusedHit[] {
  return fuse({ lexical: r.lexical, semantic: r.semantic, rows, personal, weights });
}

/** HR@k, NDCG@k and MRR over ranks (Infinity = not retrieved). */
export function summarize(ranks: readonly number[], k = 10): { hr: number; ndcg: number; mrr: number; hr1: number; n: number } {
  let hr = 0;
  let ndcg = 0;
  let mrr = 0;
  let hr1 = 0;
  for (const r of ranks) {
    if (r <= k) {
      hr++;
      ndcg += 1 / Math.log2(r + 1);
    }
    if (r === 1) hr1++;
    if (Number.isFinite(r)) mrr += 1 / r;
  }
  const n = Math.max(1, ranks.length);
  return { hr: hr / n, ndcg: ndcg / n, mrr: mrr / n, hr1: hr1 / n, n: ranks.length };
}

/** Median and 95th percentile of `xs`. */
export function percentiles(xs: readonly number[]): { p50: number; p95: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95) };
}
