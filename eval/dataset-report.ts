/**
 * Evaluate one dataset's exported models (int8 as shipped, fp32, cold-start variant) and turn the results into
 * a report section with the checks the issue asks for: int8 vs fp32 within 1 %, ONNX vs PyTorch within noise,
 * the NDCG@10 target, and what is missing with the command that produces it.
 */
import { relative } from 'node:path';
import { readModelFolder, torchFigures, type ModelFolder } from './artifacts';
import { toRows, type TestSet } from './datasets';
import { pairedNdcgDiff } from './metrics';
import type { DatasetSection, ResultTable, VariantResult } from './report';
import { summaryFromTorch } from './report';
import { openEncoder, rankCases, summarizeRun, type RankRun } from './run-model';

/** Where one dataset's artifacts live and what it must reach. */
export interface DatasetSpec {
  readonly key: 'beauty' | 'ml1m';
  readonly title: string;
  readonly test: TestSet;
  /** Folder with the int8 model the browser runs (first that has one wins). */
  readonly int8Dirs: readonly string[];
  /** Training run's export folders, first with files wins: encoder.fp32.onnx, and metrics.json here or one up. */
  readonly trainedDirs: readonly string[];
  /** Cold-start variant's export folders (first with a manifest wins), if this dataset has one. */
  readonly coldDirs?: readonly string[];
  /** NDCG@10 (history excluded) the int8 model must beat. */
  readonly target: number;
  /** Named subsets of the test users to report separately (e.g. ML-1M `test_exact`), with a description. */
  readonly subsetTitles?: Readonly<Record<string, string>>;
  /** How to produce the artifacts (shown when something is missing). */
  readonly howToMake: string;
}

/** Evaluation knobs. */
export interface RunSettings {
  readonly root: string;
  readonly threads: number;
  readonly batchSize: number;
  readonly log: (line: string) => void;
}

interface Ran {
  readonly folder: ModelFolder;
  readonly run: RankRun;
  readonly result: (label: string, mask?: Uint8Array) => VariantResult;
}

async function runFolder(
  folder: ModelFolder,
  encoder: 'int8' | 'fp32',
  matrixFolder: ModelFolder,
  spec: DatasetSpec,
  s: RunSettings,
): Promise<Ran> {
  const path = folder.encoders[encoder]!;
  const matrix = matrixFolder.matrix!;
  const manifest = matrixFolder.manifest!;
  const cases = toRows(spec.test, matrixFolder.catalogIds);
  const session = await openEncoder(path, s.threads);
  const name = relative(s.root, path);
  let last = 0;
  const run = await rankCases({
    session,
    matrix,
    maxLen: manifest.maxLen,
    cases,
    ...(manifest.lora && { lora: manifest.lora }),
    batchSize: s.batchSize,
    onProgress: (done, total) => {
      if (done - last >= 5000 || done === total) s.log(`  ${name}: ${done}/${total} users`);
      if (done - last >= 5000) last = done;
    },
  });
  await session.release();
  const source = `\`${name}\` + \`${relative(s.root, matrixFolder.dir)}/${manifest.files.items}\``;
  return {
    folder,
    run,
    result: (label, mask) => ({ label, source, ...summarizeRun(run, [10, 20], mask), seconds: run.seconds }),
  };
}

function torchRow(folder: ModelFolder | undefined, split: string, subset?: string): VariantResult | undefined {
  const ex = torchFigures(folder?.torchMetrics, split, 'exclude_history', subset);
  if (!ex || !folder) return undefined;
  const all = torchFigures(folder.torchMetrics, split, 'all', subset);
  const node = folder.torchMetrics?.[split] as Record<string, unknown> | undefined;
  const users = (subset ? (node?.[subset] as { users?: number } | undefined)?.users : (node?.users as number)) ?? 0;
  return {
    label: 'PyTorch (training)',
    source: `\`${folder.dir.split('/').slice(-3).join('/')}/metrics.json\``,
    excluded: summaryFromTorch(ex, users),
    all: summaryFromTorch(all, users),
    fromTorch: true,
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;

/** Compare two ONNX runs (paired) and one against the PyTorch figure; push readable verdicts. */
function agreementNotes(
  notes: string[],
  int8: Ran | undefined,
  fp32: Ran | undefined,
  torch: VariantResult | undefined,
  mask: Uint8Array | undefined,
  what: string,
): void {
  if (int8 && fp32) {
    const d = pairedNdcgDiff(fp32.run.ranksExcluded, int8.run.ranksExcluded, 10, mask);
    const rel = d.meanA > 0 ? d.diff / d.meanA : 0;
    notes.push(
      `${what}: int8 vs fp32 NDCG@10 ${d.meanB.toFixed(4)} vs ${d.meanA.toFixed(4)}, relative difference ` +
        `${pct(rel)} (paired standard error ${d.stdErr.toFixed(4)}): ` +
        (Math.abs(rel) <= 0.01 ? '**within the 1 % target**.' : '**outside the 1 % target**.'),
    );
  }
  const onnx = fp32 ?? int8;
  if (onnx && torch) {
    const ours = onnx.result('', mask).excluded;
    const diff = ours.ndcg[10]! - torch.excluded.ndcg[10]!;
    const noise = 2 * ours.ndcgStdErr;
    notes.push(
      `${what}: ONNX ${fp32 ? 'fp32' : 'int8'} vs PyTorch NDCG@10 ${ours.ndcg[10]!.toFixed(4)} vs ` +
        `${torch.excluded.ndcg[10]!.toFixed(4)} (difference ${diff.toFixed(4)}; two standard errors of the mean ` +
        `${noise.toFixed(4)}): ` +
        (Math.abs(diff) <= noise ? 'agree within noise.' : '**disagree beyond noise: investigate the export.**'),
    );
  }
}

/** The first folder that satisfies `ok`, else the first one (so messages name the preferred place). */
function pickFolder(dirs: readonly string[], ok: (f: ModelFolder) => boolean): ModelFolder {
  const folders = dirs.map((d) => readModelFolder(d));
  return folders.find(ok) ?? folders[0]!;
}

/** Evaluate every available variant of one dataset. */
export async function evaluateDataset(spec: DatasetSpec, s: RunSettings): Promise<DatasetSection> {
  const notes: string[] = [];
  const rel = (p: string) => relative(s.root, p) || '.';
  const list = (dirs: readonly string[]) => dirs.map((d) => `\`${rel(d)}\``).join(' or ');
  const folders = spec.int8Dirs.map((d) => readModelFolder(d));
  const trained = pickFolder(spec.trainedDirs, (f) => Boolean(f.encoders.fp32 || f.torchMetrics));
  const all = folders.some((f) => f.dir === trained.dir) ? folders : [...folders, trained];
  for (const f of all) for (const p of f.problems) notes.push(`**Problem** in \`${rel(f.dir)}\`: ${p}`);
  const usable = (f: ModelFolder, enc: 'int8' | 'fp32') => Boolean(f.manifest && f.matrix && f.encoders[enc]);
  const int8Folder = folders.find((f) => usable(f, 'int8'));
  // fp32 encoder from the training folder, scored on that folder's item matrix (or the shipped one).
  const fp32Matrix = trained.manifest && trained.matrix ? trained : int8Folder;

  let int8: Ran | undefined;
  let fp32: Ran | undefined;
  if (int8Folder) {
    s.log(`${spec.key}: int8 from ${rel(int8Folder.dir)}`);
    int8 = await runFolder(int8Folder, 'int8', int8Folder, spec, s);
  } else {
    notes.push(
      `**Missing**: no int8 model (\`manifest.json\` + \`encoder.int8.onnx\` + \`items.lsim\`) in ` +
        `${list(spec.int8Dirs)}. ${spec.howToMake}`,
    );
  }
  if (trained.encoders.fp32 && fp32Matrix) {
    s.log(`${spec.key}: fp32 from ${rel(trained.dir)}`);
    fp32 = await runFolder(trained, 'fp32', fp32Matrix, spec, s);
  } else {
    notes.push(`**Missing**: \`encoder.fp32.onnx\` in ${list(spec.trainedDirs)} (fp32 comparison). ${spec.howToMake}`);
  }
  if (!trained.torchMetrics) notes.push(`**Missing**: \`metrics.json\` in ${list(spec.trainedDirs)} (PyTorch figures). ${spec.howToMake}`);

  const tables: ResultTable[] = [];
  const tableFor = (title: string, split: string, mask?: Uint8Array, subset?: string, note?: string) => {
    const variants: VariantResult[] = [];
    if (int8) variants.push(int8.result('**ONNX int8 (browser)**', mask));
    if (fp32) variants.push(fp32.result('ONNX fp32', mask));
    const torch = torchRow(trained, split, subset);
    if (torch) variants.push(torch);
    tables.push({ title, variants, ...(note && { note }) });
    agreementNotes(notes, int8, fp32, torch, mask, title);
  };
  tableFor(`${spec.title}: all test users`, 'test');
  for (const [name, description] of Object.entries(spec.subsetTitles ?? {})) {
    tableFor(`${spec.title}: ${name}`, name, spec.test.subsets[name], undefined, description);
  }

  if (int8) {
    const got = int8.result('').excluded.ndcg[10]!;
    notes.push(
      `Target: int8 NDCG@10 (history excluded) ${got.toFixed(4)} vs ${spec.target} → ` +
        (got > spec.target ? '**met**.' : `**missed** by ${(spec.target - got).toFixed(4)}.`),
    );
  }
  if (spec.coldDirs) await coldStart(spec, s, tables, notes, int8);
  return { title: spec.title, protocol: spec.test.protocol, tables, notes };
}

/** Cold start: the variant trained without 10 % of the items; report users whose target is one of them. */
async function coldStart(spec: DatasetSpec, s: RunSettings, tables: ResultTable[], notes: string[], warm?: Ran): Promise<void> {
  const cold = pickFolder(spec.coldDirs!, (f) => Boolean(f.manifest));
  const dir = cold.dir;
  const rel = relative(s.root, dir);
  for (const p of cold.problems) notes.push(`**Problem** in \`${rel}\`: ${p}`);
  if (!cold.manifest || !cold.matrix || !cold.encoders.int8) {
    notes.push(
      `**Missing**: cold-start variant in \`${rel}\` (manifest, encoder.int8.onnx, items.lsim). Train it with ` +
        `\`--cold-fraction 0.1\` and export it (training/README.md).`,
    );
    return;
  }
  if (!cold.coldItems) {
    notes.push(`**Missing**: the held-out item list (\`cold_items.json\` or \`manifest.coldItems\`) in \`${rel}\`.`);
    return;
  }
  const isCold = new Uint8Array(spec.test.numItems + 1);
  for (const id of cold.coldItems) isCold[id] = 1;
  const mask = Uint8Array.from(spec.test.targets, (t) => isCold[t]!);
  s.log(`${spec.key}: cold-start variant from ${rel}`);
  const ran = await runFolder(cold, 'int8', cold, spec, s);
  const variants: VariantResult[] = [ran.result('**ONNX int8, cold items text-only**', mask)];
  const torch = torchRow(cold, 'test', 'cold_target');
  if (torch) variants.push({ ...torch, label: 'PyTorch (cold-start training)' });
  if (warm) variants.push(warm.result('warm model (IDs trained), same users', mask));
  const heldOut = cold.coldItems.length;
  tables.push({
    title: `${spec.title}: cold start (${heldOut} items never seen in training)`,
    note:
      `Users whose test target is one of the ${heldOut} held-out items (${mask.reduce((a, b) => a + b, 0)} users). ` +
      'Their item vectors are text-only (no ID embedding), ranked against the full catalog. The last row is the ' +
      'normal model on the same users, whose IDs it did see: the price of cold start.',
    variants,
  });
  const warmOnCold = ran.result('', mask.map((m) => 1 - m));
  notes.push(
    `Cold-start variant on the other (warm-target) users: NDCG@10 ${warmOnCold.excluded.ndcg[10]!.toFixed(4)}, ` +
      `HR@10 ${warmOnCold.excluded.hr[10]!.toFixed(4)}.`,
  );
}
