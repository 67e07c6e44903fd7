/**
 * `npm run eval:feedback`: the feedback loop replayed on Amazon Beauty test users, written to EVAL.md between
 * `<!-- feedback:begin -->` and `<!-- feedback:end -->`.
 *
 * A simulated shopper (history = seq[:-1], from the exported int8 encoder) sees a shelf of 10 (history left out)
 * once an hour for `--rounds` visits and clicks the held-out next item (seq[-1]) when it is on the shelf; the
 * visit ends there. Otherwise the 10 items are reported as impressions. Without the loop the shelf never
 * changes; with it, ignored items are demoted (workers/feedback.ts, the defaults the library uses), and with
 * exploration one slot is drawn from just below the shelf. Reported: shoppers who clicked by visit 1, 3, 5 and
 * the last, and clicks per impression.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { seededRandom } from '../tools/lib/random-adapter';
import { topK } from '../workers/engine/score';
import { createScorer } from '../workers/engine/simd-scorer';
import { DEFAULT_FEEDBACK, demote, explore, IgnoredImpressions } from '../workers/feedback';
import { readModelFolder } from './artifacts';
import { loadBeauty, repoRoot } from './datasets';
import { openEncoder } from './run-model';
import { replaceMarkedSection, sectionMarkers } from './sections';
import { userVectorsOf } from './user-vectors';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};

type Variant = 'fixed' | 'demote' | 'demote+explore';

async function main(): Promise<void> {
  const started = performance.now();
  const dir = resolve(arg('model', join(repoRoot(), 'public/models/beauty')));
  const out = resolve(arg('out', join(repoRoot(), 'EVAL.md')));
  const rounds = Number(arg('rounds', '10'));
  const k = 10;
  const { matrix, manifest, encoders, catalogIds } = readModelFolder(dir);
  if (!matrix || !manifest || !encoders.int8 || !catalogIds) throw new Error(`${dir}: incomplete model folder`);
  const set = loadBeauty();
  const rowOf = new Map(catalogIds.map((id, r) => [id, r]));
  const row = (item: number): number => rowOf.get(set.externalIds[item - 1]!)!;
  const users = set.histories.map((h, u) => ({ history: h.map(row), target: row(set.targets[u]!) })).filter((c) => c.history.length > 0);
  const session = await openEncoder(encoders.int8);
  const vectors = await userVectorsOf(session, matrix, manifest.maxLen, manifest.lora, users.map((c) => c.history));
  await session.release();
  const scorer = createScorer(matrix);
  const variants: Variant[] = ['fixed', 'demote', 'demote+explore'];
  const clickedBy = Object.fromEntries(variants.map((v) => [v, new Int32Array(rounds + 1)])) as Record<Variant, Int32Array>;
  const shown = Object.fromEntries(variants.map((v) => [v, 0])) as Record<Variant, number>;
  const random = seededRandom(11);
  const hour = 3_600_000;
  const dim = matrix.dim;
  users.forEach((c, u) => {
    const base = Float32Array.from(scorer.score(vectors.subarray(u * dim, (u + 1) * dim)));
    const mask = new Uint8Array(matrix.rows);
    for (const h of c.history) mask[h] = 1;
    for (const v of variants) {
      const ignored = new IgnoredImpressions(DEFAULT_FEEDBACK.halfLifeMs);
      for (let t = 1; t <= rounds; t++) {
        const now = t * hour;
        const scores = v === 'fixed' ? base : Float32Array.from(base);
        if (v !== 'fixed') demote(scores, mask, [...ignored.entries(now)].map(([id, n]) => [Number(id), n] as [number, number]), k);
        let shelf = Array.from(topK(scores, k, mask).rows);
        if (v === 'demote+explore') shelf = explore(shelf, scores, mask, k, 1, random);
        shown[v] += shelf.length;
        if (shelf.includes(c.target)) {
          for (let r = t; r <= rounds; r++) clickedBy[v][r]!++;
          break;
        }
        ignored.shown(shelf.map(String), now);
      }
    }
  });
  const n = users.length;
  const pct = (x: number): string => `${((100 * x) / n).toFixed(2)} %`;
  const { begin, end } = sectionMarkers('feedback');
  const marks = [1, 3, 5, rounds].filter((r, i, a) => r <= rounds && a.indexOf(r) === i);
  const section = [
    begin,
    '## Feedback loop (replay simulation)',
    '',
    `Command: \`npm run eval:feedback\` (eval/feedback.ts; ${((performance.now() - started) / 1000).toFixed(0)} s). Model \`${dir.replace(`${repoRoot()}/`, '')}\`, ` +
      `Amazon Beauty, ${n} test users, ${rounds} hourly visits, shelf of ${k} (history left out). The simulated shopper clicks the held-out next item when it is shown. ` +
      `Loop defaults: half-life ${DEFAULT_FEEDBACK.halfLifeMs / hour} h, ${DEFAULT_FEEDBACK.free} ignored impressions free, ${DEFAULT_FEEDBACK.strength} of the score spread per further one.`,
    '',
    `| shelf | ${marks.map((r) => `clicked by visit ${r}`).join(' | ')} | clicks per 1,000 impressions |`,
    `|---|${marks.map(() => '---').join('|')}|---|`,
    ...variants.map((v) => `| ${v === 'fixed' ? 'no loop (the same shelf every visit)' : v === 'demote' ? 'ignored items demoted' : 'demoted + one exploration slot'} | ${marks.map((r) => pct(clickedBy[v][r]!)).join(' | ')} | ${((1000 * clickedBy[v][rounds]!) / shown[v]).toFixed(2)} |`),
    '',
    'Visit 1 of "no loop" is HR@10 of the shipped model with history excluded.',
    end,
  ].join('\n');
  writeFileSync(out, replaceMarkedSection(existsSync(out) ? readFileSync(out, 'utf8') : '', 'feedback', section));
  process.stdout.write(`${section}\n`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
