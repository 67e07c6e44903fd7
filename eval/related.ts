/**
 * `npm run eval:related`: item-to-item and reasons on Amazon Beauty, with the engine's own code
 * (workers/related.ts, the exported int8 encoder on onnxruntime-node), written to EVAL.md between
 * `<!-- related:begin -->` and `<!-- related:end -->`.
 *
 * Related: for every test user, given only the last item before the held-out one (seq[-2]), rank the held-out
 * item (seq[-1]) over the whole catalog, the given item left out: `similar` (cosine of item vectors) against `also`
 * (the history encoder run on that one item). Reasons: for the top 10 personal recommendations of the first
 * `--reason-users` users, does the top reason share a specific catalog attribute (brand or category, from
 * s3rec_Beauty_item2attributes; attributes on more than 10 % of items are too generic to count) with the
 * recommended item more often than a history item drawn at random does?
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { reasonsFor, similarTo } from '../workers/related';
import { rowNorms } from '../workers/search/semantic';
import { readModelFolder } from './artifacts';
import { loadBeauty, repoRoot, sharedRoot } from './datasets';
import { rankOfTarget, summarizeRanks } from './metrics';
import { scoreAll, topK } from '../workers/engine/score';
import { userVectorsOf } from './user-vectors';
import { seededRandom } from '../tools/lib/random-adapter';
import { openEncoder, rankCases, summarizeRun } from './run-model';
import { replaceMarkedSection, sectionMarkers } from './sections';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const started = performance.now();
  const dir = resolve(arg('model', join(repoRoot(), 'public/models/beauty')));
  const out = resolve(arg('out', join(repoRoot(), 'EVAL.md')));
  const reasonUsers = Number(arg('reason-users', '2000'));
  const folder = readModelFolder(dir);
  const { matrix, manifest, encoders, catalogIds } = folder;
  if (!matrix || !manifest || !encoders.int8 || !catalogIds) throw new Error(`${dir}: incomplete model folder`);
  const set = loadBeauty();
  const rowOf = new Map(catalogIds.map((id, r) => [id, r]));
  const row = (item: number): number => rowOf.get(set.externalIds[item - 1]!)!;
  const users = set.histories.map((h, u) => ({ history: h.map(row), target: row(set.targets[u]!) })).filter((c) => c.history.length > 0);
  const norms = rowNorms(matrix);

  // similar: cosine to the last item
  const t0 = performance.now();
  const simRanks = new Float64Array(users.length);
  const simTies = new Int32Array(users.length);
  const scores = new Float32Array(matrix.rows);
  users.forEach((c, u) => {
    const last = c.history.at(-1)!;
    const r = rankOfTarget(similarTo(matrix, norms, last, scores), c.target, [last]);
    simRanks[u] = r.rank;
    simTies[u] = r.ties;
  });
  const similar = summarizeRanks(simRanks, simTies, [10, 20]);
  const simSeconds = (performance.now() - t0) / 1000;

  // also: the encoder on the last item alone
  const session = await openEncoder(encoders.int8);
  const alsoRun = await rankCases({ session, matrix, maxLen: manifest.maxLen, lora: manifest.lora, cases: users.map((c) => ({ history: [c.history.at(-1)!], target: c.target })) });
  const also = summarizeRun(alsoRun).excluded;

  // reasons against a random history item
  const attributes = JSON.parse(gunzipSync(readFileSync(join(sharedRoot(), 'datasets/amazon-beauty-5core/s3rec_Beauty_item2attributes.json.gz'))).toString('utf8')) as Record<string, number[]>;
  const count = new Map<number, number>();
  for (const attrs of Object.values(attributes)) for (const a of attrs) count.set(a, (count.get(a) ?? 0) + 1);
  const specific = (a: number): boolean => (count.get(a) ?? 0) <= 0.1 * set.numItems;
  const attrsOfRow = new Map<number, Set<number>>();
  for (let item = 1; item <= set.numItems; item++) attrsOfRow.set(row(item), new Set((attributes[String(item)] ?? []).filter(specific)));
  const shares = (a: number, b: number): boolean => [...attrsOfRow.get(a)!].some((x) => attrsOfRow.get(b)!.has(x));
  const subset = users.filter((c) => new Set(c.history).size >= 2).slice(0, reasonUsers);
  const random = seededRandom(7);
  let pairs = 0;
  let topShares = 0;
  let randomShares = 0;
  let withReason = 0;
  const top10 = await topTen(session, matrix, manifest, subset);
  subset.forEach((c, u) => {
    const history = c.history.slice(-manifest.maxLen);
    const distinct = [...new Set(history)];
    for (const rec of top10[u]!) {
      pairs++;
      const reasons = reasonsFor(matrix, norms, rec, history, 1);
      if (reasons.length) withReason++;
      if (reasons[0] && shares(reasons[0].row, rec)) topShares++;
      if (shares(distinct[Math.floor(random() * distinct.length)]!, rec)) randomShares++;
    }
  });
  await session.release();
  const pct = (x: number): string => `${((100 * x) / pairs).toFixed(1)} %`;
  const { begin, end } = sectionMarkers('related');
  const f = (x: number): string => x.toFixed(4);
  const section = [
    begin,
    '## Related items and reasons',
    '',
    `Command: \`npm run eval:related\` (eval/related.ts; ${((performance.now() - started) / 1000).toFixed(0)} s). Model \`${dir.replace(`${repoRoot()}/`, '')}\`, ` +
      `Amazon Beauty, ${users.length} test users. The engine's own code (workers/related.ts) and the exported int8 encoder (onnxruntime-node).`,
    '',
    '**`related(itemId)`: next item given only the last one.** History = seq[-2] alone, target = seq[-1], full ranking over every item, the given item left out.',
    '',
    '| mode | what ranks | HR@10 | NDCG@10 | HR@20 | NDCG@20 |',
    '|---|---|---|---|---|---|',
    `| \`similar\` | cosine of item vectors (${simSeconds.toFixed(1)} s) | ${f(similar.hr[10]!)} | ${f(similar.ndcg[10]!)} | ${f(similar.hr[20]!)} | ${f(similar.ndcg[20]!)} |`,
    `| \`also\` | the history encoder on that one item (${alsoRun.seconds.toFixed(1)} s) | ${f(also.hr[10]!)} | ${f(also.ndcg[10]!)} | ${f(also.hr[20]!)} | ${f(also.ndcg[20]!)} |`,
    '',
    `\`related()\` defaults to \`mode: '${also.ndcg[10]! >= similar.ndcg[10]! ? 'also' : 'similar'}'\`, the better of the two here on NDCG@10.`,
    '',
    `**Reasons (\`because\`).** For the top 10 recommendations of ${subset.length} test users with at least two distinct history items (${pairs} pairs): ` +
      `${pct(withReason)} have a reason (a history item with positive cosine). The top reason shares a specific attribute (brand or category on ≤ 10 % of items) ` +
      `with the recommended item in ${pct(topShares)} of pairs; a history item drawn at random does in ${pct(randomShares)}.`,
    end,
  ].join('\n');
  writeFileSync(out, replaceMarkedSection(existsSync(out) ? readFileSync(out, 'utf8') : '', 'related', section));
  process.stdout.write(`${section}\n`);
}

/** Top-10 rows (history left out) for each case, with the int8 encoder. */
async function topTen(
  session: Awaited<ReturnType<typeof openEncoder>>,
  matrix: NonNullable<ReturnType<typeof readModelFolder>['matrix']>,
  manifest: NonNullable<ReturnType<typeof readModelFolder>['manifest']>,
  cases: readonly { history: readonly number[]; target: number }[],
): Promise<number[][]> {
  const vectors = await userVectorsOf(session, matrix, manifest.maxLen, manifest.lora, cases.map((c) => c.history));
  const dim = matrix.dim;
  return cases.map((c, u) => Array.from(topK(scoreAll(matrix, vectors.subarray(u * dim, (u + 1) * dim)), 10, new Set(c.history)).rows));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
