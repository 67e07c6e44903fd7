/**
 * Regenerate EVAL.md: evaluate the exported models on Amazon Beauty and MovieLens-1M with onnxruntime-node and
 * the engine's own input/scoring modules (see eval/run-model.ts), beside PyTorch's figures and the anchors.
 *
 *   npx tsx eval/evaluate.ts                      # both datasets, writes EVAL.md at the repository root
 *   npx tsx eval/evaluate.ts --dataset beauty --max-users 2000 --out /tmp/EVAL.md   # quick look
 *
 * Options: --dataset beauty|ml1m (repeatable; default both), --max-users N (first N users only),
 * --out PATH (default EVAL.md), --threads N (onnxruntime intra-op threads, default 2), --batch N (default 256),
 * --run NAME=DIR (training run folder for beauty, ml1m or beauty-cold; defaults: the store command's
 * training/out/store-beauty and training/out/store-ml1m, training/out/beauty-cold; a train.py run's export may be
 * in DIR/artifacts; a run with only model.pt, or a store run, is exported into training/out/.eval-exports/ unless
 * --no-export). The shipped int8 Beauty model is read from public/models/beauty first.
 * Data: ../shared/datasets, or $LOCALSHELF_SHARED/datasets.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type as osType, release } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { evaluateDataset, type DatasetSpec } from './dataset-report';
import { EXPORT_CACHE, exportDirs } from './ensure-export';
import { hasShared, loadBeauty, loadMl1m, repoRoot, sharedRoot } from './datasets';
import { renderReport, type DatasetSection } from './report';
import { withKeptSections } from '../tools/lib/kept-sections';

interface Args {
  datasets: ('beauty' | 'ml1m')[];
  maxUsers?: number;
  out: string;
  threads: number;
  batch: number;
  /** Training run folders by name (beauty, ml1m, beauty-cold), relative to the repository. */
  runs: Record<string, string>;
  /** Export runs that have only a checkpoint (off with --no-export). */
  export: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { datasets: [], out: join(repoRoot(), 'EVAL.md'), threads: 2, batch: 256, runs: {}, export: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--dataset') {
      const d = value();
      if (d !== 'beauty' && d !== 'ml1m') throw new Error(`unknown dataset ${d} (beauty, ml1m)`);
      args.datasets.push(d);
    } else if (a === '--max-users') args.maxUsers = Number(value());
    else if (a === '--out') args.out = resolve(value());
    else if (a === '--threads') args.threads = Number(value());
    else if (a === '--batch') args.batch = Number(value());
    else if (a === '--no-export') args.export = false;
    else if (a === '--run') {
      const [name, dir] = value().split('=');
      if (!name || !dir || !['beauty', 'ml1m', 'beauty-cold'].includes(name)) {
        throw new Error('--run takes beauty=DIR, ml1m=DIR or beauty-cold=DIR');
      }
      args.runs[name] = dir;
    }
    else throw new Error(`unknown option ${a}; see the header of eval/evaluate.ts`);
  }
  if (args.datasets.length === 0) args.datasets = ['beauty', 'ml1m'];
  return args;
}

function version(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(repoRoot(), 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  const shared = sharedRoot();
  if (!hasShared(shared)) throw new Error(`no datasets in ${shared}; set LOCALSHELF_SHARED to the shared folder`);
  const started = performance.now();
  const log = (line: string) => console.error(line);
  const settings = { root, threads: args.threads, batchSize: args.batch, log };
  const out = (p: string) => resolve(root, p);
  // A training run folder holds metrics.json + model.pt; training/export.py --out may put the files in artifacts/;
  // a run with only a checkpoint is exported into training/out/.eval-exports/ (see eval/ensure-export.ts).
  const exportsMade: string[] = [];
  const runDirs = (run: string) => {
    const dirs = exportDirs(root, out(run), log, args.export);
    if (dirs[0]!.includes(EXPORT_CACHE)) {
      exportsMade.push(
        `\`${relative(root, dirs[0]!)}\` was exported by this command from the run's \`model.pt\` with ` +
          '`python -m training.export --out` (the run folder had no export).',
      );
    }
    return dirs;
  };
  const howTo = (d: string) =>
    `Produce it with \`/usr/bin/python3 -m training.store.convert ${d}\`, then the store command with its defaults, ` +
    `\`/usr/bin/python3 -m training.store --events training/out/datasets/${d}/events.csv.gz --catalog ` +
    `training/out/datasets/${d}/catalog.csv --out training/out/store-${d}\` (docs/own-data.md)` +
    (d === 'beauty' ? ' (and `training.export --ckpt training/out/store-beauty.work/model.pt --ship public/models/beauty` for the browser copy)' : '') +
    '; or point `--run ' + d + '=DIR` at another run folder (a training/train.py run works too).';
  const sections: DatasetSection[] = [];
  const summary: string[] = [];

  for (const d of args.datasets) {
    const spec: DatasetSpec =
      d === 'beauty'
        ? {
            key: 'beauty',
            title: 'Amazon Beauty',
            test: loadBeauty(shared, args.maxUsers),
            int8Dirs: [out('public/models/beauty'), ...runDirs(args.runs.beauty ?? 'training/out/store-beauty')],
            trainedDirs: runDirs(args.runs.beauty ?? 'training/out/store-beauty'),
            coldDirs: runDirs(args.runs['beauty-cold'] ?? 'training/out/beauty-cold'),
            target: 0.0531,
            howToMake: howTo('beauty'),
          }
        : {
            key: 'ml1m',
            title: 'MovieLens-1M',
            test: loadMl1m(shared, args.maxUsers),
            int8Dirs: runDirs(args.runs.ml1m ?? 'training/out/store-ml1m'),
            trainedDirs: runDirs(args.runs.ml1m ?? 'training/out/store-ml1m'),
            target: 0.1813,
            subsetTitles: {
              test_exact:
                'The 512 validation users, whose full history seq[:-1] is in the shared files: exactly the ' +
                "papers' protocol, on a subset (wider error bars). The figure to hold against the published anchors " +
                '(training/README.md); the all-user table above is a harder task and a lower bound.',
            },
            howToMake: howTo('ml1m'),
          };
    log(`${d}: ${spec.test.targets.length} test users, ${spec.test.numItems} items`);
    const section = await evaluateDataset(spec, settings);
    sections.push(section);
    summary.push(...(section.headline ?? []));
  }
  summary.push(...new Set(exportsMade));
  if (args.maxUsers !== undefined) summary.unshift(`**Partial run: first ${args.maxUsers} users only.** Not comparable.`);

  const cpu = cpus();
  const command = ['npx tsx eval/evaluate.ts', ...process.argv.slice(2)].join(' ');
  const seconds = (performance.now() - started) / 1000;
  const md = renderReport({
    command,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: `${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${osType()} ${release()}`,
    runtime: `Node ${process.version}, onnxruntime-node ${version('onnxruntime-node')} (CPU, ${args.threads} threads)`,
    seconds,
    summary,
    sections,
  });
  writeFileSync(args.out, withKeptSections(md, args.out));
  log(`wrote ${relative(process.cwd(), args.out) || args.out} in ${seconds.toFixed(0)} s`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
