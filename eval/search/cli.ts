/**
 * Search evaluation: personalized product search (Ai et al. 2017 style), known-item search, Orama's hybrid
 * search on the same catalog and queries, and cold start through `catalog.add()`'s code path. Writes its section
 * of EVAL.md between `<!-- search:begin -->` and `<!-- search:end -->`, leaving the rest of the file alone.
 *
 *   npx tsx eval/search/cli.ts [--model public/models/beauty] [--cold <export folder>] [--users 2000]
 *                              [--tune-users 1000] [--out EVAL.md] [--no-write]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { readModelFolder } from '../artifacts';
import { loadBeauty, repoRoot, toRows } from '../datasets';
import { DEFAULT_WEIGHTS, type FusionWeights } from '../../workers/search/fuse';
import { coldStartSearch, type ColdResult } from './cold';
import { openStack, percentiles, titleVectors, userVectors } from './harness';
import { buildOrama } from './orama';
import { categoryQuery, documentFrequency, knownItemQuery, sample } from './queries';
import { renderSection, replaceSection } from './report';
import { evaluateTask, tune, type Case, type TaskResult } from './tasks';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const root = repoRoot();
  const modelDir = resolve(root, arg('model', 'public/models/beauty')!);
  const users = Number(arg('users', '2000'));
  const tuneUsers = Number(arg('tune-users', '1000'));
  const log = (m: string): void => void process.stderr.write(`[search-eval] ${m}\n`);
  const started = performance.now();

  const folder = readModelFolder(modelDir);
  if (folder.problems.length) throw new Error(`${modelDir}: ${folder.problems.join('; ')}`);
  const stack = await openStack(folder);
  const titles = folder.catalogTitles!;
  const df = documentFrequency(titles);
  const test = loadBeauty();
  const cases = toRows(test, folder.catalogIds);
  log(`model ${relative(root, modelDir)}: ${stack.matrix.rows} items, index built in ${stack.indexMs.toFixed(0)} ms; ${cases.length} users`);

  // Test users: history = every earlier item, target = last. Validation users (disjoint sample): target = second-last.
  const build = (idx: readonly number[], split: 'test' | 'valid'): Case[] =>
    idx.flatMap((u) => {
      const c = cases[u]!;
      const history = split === 'test' ? Array.from(c.history) : Array.from(c.history).slice(0, -1);
      const target = split === 'test' ? c.target : c.history[c.history.length - 1]!;
      const ps = categoryQuery(titles[target]!, df);
      const ki = knownItemQuery(titles[target]!, df);
      return history.length > 0 && ps && ki ? [{ user: u, history, target, ps, ki }] : [];
    });
  const order = sample(cases.length, users + tuneUsers, 7);
  const testCases = build(order.filter((_, i) => i % (users + tuneUsers) < users && i < users), 'test');
  const validCases = build(order.slice(users), 'valid');
  log(`${testCases.length} test cases, ${validCases.length} validation cases`);

  const [testVectors, validVectors] = [await userVectors(stack, testCases.map((c) => c.history)), await userVectors(stack, validCases.map((c) => c.history))];
  const grid = await tune(stack, validCases, validVectors, log);
  const weights: FusionWeights = grid.best;
  log(`chosen on validation: lexical ${weights.lexical}, personal ${weights.personal}`);

  const orama = await buildOrama(titles, stack.matrix);
  log(`Orama index built in ${orama.buildMs.toFixed(0)} ms`);
  const tv = await titleVectors(stack, titles);
  log(`title text vectors of the whole catalog in ${tv.ms.toFixed(0)} ms`);
  const ps: TaskResult = await evaluateTask(stack, orama, testCases, testVectors, 'ps', weights, log, tv);
  const ki: TaskResult = await evaluateTask(stack, orama, testCases, testVectors, 'ki', weights, log, tv);

  const coldDir = arg('cold');
  let cold: ColdResult | undefined;
  if (coldDir && existsSync(join(resolve(root, coldDir), 'manifest.json'))) {
    cold = await coldStartSearch(readModelFolder(resolve(root, coldDir)), test, weights, log);
  }
  const section = renderSection({
    model: relative(root, modelDir),
    coldModel: coldDir ? relative(root, resolve(root, coldDir)) : undefined,
    items: stack.matrix.rows,
    indexMs: stack.indexMs,
    oramaBuildMs: orama.buildMs,
    weights,
    defaults: DEFAULT_WEIGHTS,
    grid,
    ps,
    ki,
    cold,
    embed: percentiles(ps.ms.embed),
    seconds: (performance.now() - started) / 1000,
    command: `npx tsx eval/search/cli.ts ${process.argv.slice(2).join(' ')}`.trim(),
  });
  const out = resolve(root, arg('out', 'EVAL.md')!);
  if (process.argv.includes('--no-write')) process.stdout.write(section);
  else {
    writeFileSync(out, replaceSection(existsSync(out) ? readFileSync(out, 'utf8') : '', section));
    log(`wrote the search section of ${relative(root, out)}`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
