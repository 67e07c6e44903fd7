/**
 * Evaluate one dataset's exported models (int8 as shipped, fp32, cold-start variant) and turn the results into
 * a report section with the checks the issue asks for: int8 vs fp32 within 1 %, ONNX vs PyTorch within noise,
 * the NDCG@10 target, and what is missing with the command that produces it.
 */
import { relative } from 'node:path';
import { readModelFolder, type ModelFolder } from './artifacts';
import { agreementNotes } from './agreement';
import { coldStart } from './cold-start';
import type { TestSet } from './datasets';
import type { DatasetSection, ResultTable, VariantResult } from './report';
import { describeFolder, torchRow } from './report';
import { runVariant, type Ran, type RunSettings } from './run-variant';

export type { RunSettings } from './run-variant';

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

/** The first folder that satisfies `ok`, else the first one (so messages name the preferred place). */
export function pickFolder(dirs: readonly string[], ok: (f: ModelFolder) => boolean): ModelFolder {
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
  let sameRunInt8: Ran | undefined; // the training run's own int8, when the shipped one came from elsewhere
  if (int8Folder) {
    s.log(`${spec.key}: int8 from ${rel(int8Folder.dir)}`);
    int8 = await runVariant(int8Folder.encoders.int8!, int8Folder, spec.test, s);
  } else {
    notes.push(
      `**Missing**: no int8 model (\`manifest.json\` + \`encoder.int8.onnx\` + \`items.lsim\`) in ` +
        `${list(spec.int8Dirs)}. ${spec.howToMake}`,
    );
  }
  if (trained.encoders.fp32 && fp32Matrix) {
    s.log(`${spec.key}: fp32 from ${rel(trained.dir)}`);
    fp32 = await runVariant(trained.encoders.fp32!, fp32Matrix, spec.test, s);
  } else {
    notes.push(`**Missing**: \`encoder.fp32.onnx\` in ${list(spec.trainedDirs)} (fp32 comparison). ${spec.howToMake}`);
  }
  if (!trained.torchMetrics) notes.push(`**Missing**: \`metrics.json\` in ${list(spec.trainedDirs)} (PyTorch figures). ${spec.howToMake}`);
  // Is the int8 model the browser runs an export of this training run?
  const shippedHash = int8Folder?.manifest?.sha256?.['encoder.int8.onnx'];
  const runHash = trained.manifest?.sha256?.['encoder.int8.onnx'];
  if (int8Folder && int8Folder.dir !== trained.dir && (trained.encoders.fp32 || trained.torchMetrics)) {
    if (shippedHash && runHash && shippedHash !== runHash) {
      notes.push(
        `**Problem**: \`${rel(int8Folder.dir)}\` is not the export of \`${rel(trained.dir)}\` (encoder.int8.onnx hashes ` +
          'differ), so its row is not comparable with the fp32/PyTorch rows; the run\'s own int8 export is shown ' +
          'beside them. Re-ship with `training.export --ship`.',
      );
      if (usable(trained, 'int8')) sameRunInt8 = await runVariant(trained.encoders.int8!, trained, spec.test, s);
    } else if (!runHash) {
      notes.push(
        `Cannot check that \`${rel(int8Folder.dir)}\` was exported from \`${rel(trained.dir)}\` (no manifest there); ` +
          'the PyTorch comparison assumes it.',
      );
    } else {
      notes.push(`\`${rel(int8Folder.dir)}/encoder.int8.onnx\` is byte-identical to the run's export (same sha256).`);
    }
  }

  const tables: ResultTable[] = [];
  const tableFor = (title: string, split: string, mask?: Uint8Array, subset?: string, note?: string) => {
    const variants: VariantResult[] = [];
    if (int8) variants.push(int8.result('**ONNX int8 (browser)**', mask));
    if (sameRunInt8) variants.push(sameRunInt8.result('ONNX int8 (training run export)', mask));
    if (fp32) variants.push(fp32.result('ONNX fp32', mask));
    const torch = torchRow(trained, split, s.root, subset);
    if (torch) variants.push(torch);
    const py = torchRow(trained, split, s.root, subset, 'pyOnnx');
    if (py) variants.push(py);
    tables.push({ title, variants, ...(note && { note }) });
    agreementNotes(notes, sameRunInt8 ?? int8, fp32, torch, mask, title);
  };
  tableFor(`${spec.title}: all test users`, 'test');
  for (const [name, description] of Object.entries(spec.subsetTitles ?? {})) {
    tableFor(`${spec.title}: ${name}`, name, spec.test.subsets[name], undefined, description);
  }

  const headline: string[] = [];
  if (int8) {
    // One headline per view: all users, then each named subset (ML-1M's test_exact is the papers' protocol).
    const views: [string, string, Uint8Array | undefined][] = [['all test users', 'test', undefined]];
    for (const name of Object.keys(spec.subsetTitles ?? {})) views.push([name, name, spec.test.subsets[name]]);
    for (const [view, split, mask] of views) {
      const m = int8.result('', mask).excluded;
      const got = m.ndcg[10]!;
      const verdict = got > spec.target ? '**met**' : `**missed** by ${(spec.target - got).toFixed(4)}`;
      notes.push(`Target (${view}): int8 NDCG@10 (history excluded) ${got.toFixed(4)} vs ${spec.target} → ${verdict}.`);
      const fp = fp32?.result('', mask).excluded.ndcg[10];
      const pt = torchRow(trained, split, s.root)?.excluded.ndcg[10];
      headline.push(
        `${spec.title}, ${view}: NDCG@10 **${got.toFixed(4)}** int8 as the browser runs it` +
          (fp !== undefined ? `, ${fp.toFixed(4)} fp32` : '') +
          (pt !== undefined ? `, ${pt.toFixed(4)} PyTorch` : '') +
          ` (HR@10 ${m.hr[10]!.toFixed(4)}; history excluded; ${m.users} users); target ${spec.target} ${verdict}.`,
      );
    }
  } else {
    headline.push(`${spec.title}: **no int8 model to evaluate yet** (see its section).`);
  }
  if (spec.coldDirs) {
    const cold = pickFolder(spec.coldDirs, (f) => Boolean(f.manifest));
    const c = await coldStart(cold, spec.test, s, tables, notes, int8);
    if (c) headline.push(c);
  }
  const used = [int8Folder, trained.encoders.fp32 || trained.torchMetrics ? trained : undefined];
  const byDir = new Map(used.filter((f): f is ModelFolder => Boolean(f)).map((f) => [f.dir, f]));
  const artifacts = [...byDir.values()].map((f) => describeFolder(f, s.root));
  return { title: spec.title, protocol: spec.test.protocol, tables, notes, artifacts, headline };
}
