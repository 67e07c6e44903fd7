/**
 * `npm run eval:own-encoder`: the library's own encoder (workers/engine/encoder/, what `recommend()` runs by
 * default) against onnxruntime (the same LoRA-free int8 graph, the engine's session setting) on every Amazon Beauty
 * test user of the shipped model: largest difference of the user vectors, how many top-10 lists (history left out,
 * as `recommend()` does) are identical, and NDCG@10 of both. Written to EVAL.md between `<!-- own-encoder:begin -->`
 * and `<!-- own-encoder:end -->`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SasrecEncoder } from '../workers/engine/encoder/sasrec';
import { createScorer } from '../workers/engine/simd-scorer';
import { topK } from '../workers/engine/score';
import { readModelFolder } from './artifacts';
import { loadBeauty, repoRoot } from './datasets';
import { ndcgAt, rankOfTarget } from './metrics';
import { openEncoder } from './run-model';
import { replaceMarkedSection } from './sections';
import { userVectorsOf } from './user-vectors';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const dir = resolve(arg('model', join(repoRoot(), 'public/models/beauty')));
  const out = resolve(arg('out', join(repoRoot(), 'EVAL.md')));
  const folder = readModelFolder(dir);
  const { matrix, manifest, catalogIds } = folder;
  if (!matrix || !manifest || !catalogIds) throw new Error(`${dir}: incomplete model folder`);
  const baseName = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: { encoderBase?: string } }).files.encoderBase;
  if (!baseName) throw new Error(`${dir}: no encoder.base.int8.onnx (files.encoderBase), which the own encoder runs`);
  const basePath = join(dir, baseName);
  const set = loadBeauty();
  const rowOf = new Map(catalogIds.map((id, r) => [id, r]));
  const row = (item: number): number => rowOf.get(set.externalIds[item - 1]!)!;
  const users = set.histories.map((h, u) => ({ history: h.map(row), target: row(set.targets[u]!) })).filter((c) => c.history.length > 0);
  const maxLen = manifest.maxLen;

  const t0 = performance.now();
  const session = await openEncoder(basePath, 1);
  const reference = await userVectorsOf(session, matrix, maxLen, undefined, users.map((c) => c.history));
  const ortSeconds = (performance.now() - t0) / 1000;
  const own = SasrecEncoder.fromOnnx(new Uint8Array(readFileSync(basePath)));
  const t1 = performance.now();
  const mine = new Float32Array(reference.length);
  users.forEach((c, u) => mine.set(own.encode(matrix, Array.from(c.history.slice(-maxLen), (r) => ({ row: r, type: 1 as const }))), u * matrix.dim));
  const ownSeconds = (performance.now() - t1) / 1000;

  const scorer = createScorer(matrix);
  const dim = matrix.dim;
  let maxDiff = 0;
  let same = 0;
  let sameSet = 0;
  let ndcgRef = 0;
  let ndcgOwn = 0;
  users.forEach((c, u) => {
    const a = reference.subarray(u * dim, (u + 1) * dim);
    const b = mine.subarray(u * dim, (u + 1) * dim);
    for (let j = 0; j < dim; j++) maxDiff = Math.max(maxDiff, Math.abs(a[j]! - b[j]!));
    const excluded = new Set(c.history);
    const top = (v: Float32Array): { rows: number[]; ndcg: number } => {
      const scores = scorer.score(v);
      const rows = [...topK(scores, 10, excluded).rows];
      return { rows, ndcg: ndcgAt(rankOfTarget(scores, c.target, c.history).rank, 10) };
    };
    const x = top(a);
    const y = top(b);
    if (x.rows.every((r, i) => r === y.rows[i])) same++;
    if (x.rows.every((r) => y.rows.includes(r))) sameSet++;
    ndcgRef += x.ndcg;
    ndcgOwn += y.ndcg;
  });
  const n = users.length;
  const pct = (k: number): string => `${((100 * k) / n).toFixed(2)} %`;
  const section = [
    '<!-- own-encoder:begin -->',
    '## The own encoder against onnxruntime',
    '',
    `Command: \`npm run eval:own-encoder\` (eval/own-encoder.ts). Model \`${dir.replace(`${repoRoot()}/`, '')}\`, Amazon Beauty, all ${n.toLocaleString('en-US')} test users (history seq[:-1], the last ${maxLen} events). The user vectors of \`${baseName}\` in onnxruntime-node (the engine's session setting: graph optimisation off) and in the library's own WebAssembly SIMD encoder (workers/engine/encoder/, what \`recommend()\` runs by default), each scored by the engine's int8 scorer with the user's history left out.`,
    '',
    '| | onnxruntime | own encoder |',
    '|---|---:|---:|',
    `| NDCG@10 (history excluded) | ${(ndcgRef / n).toFixed(4)} | ${(ndcgOwn / n).toFixed(4)} |`,
    `| time for all users (Node, 1 thread; onnxruntime in batches of 256) | ${ortSeconds.toFixed(1)} s | ${ownSeconds.toFixed(1)} s |`,
    '',
    `- Largest |difference| of a user-vector component over all users: ${maxDiff.toExponential(1)}.`,
    `- Identical top-10 (same items, same order): ${same.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} users (${pct(same)}); same ten items in any order: ${pct(sameSet)}.`,
    '<!-- own-encoder:end -->',
  ].join('\n');
  writeFileSync(out, replaceMarkedSection(existsSync(out) ? readFileSync(out, 'utf8') : '', 'own-encoder', section));
  console.log(section);
}

await main();
