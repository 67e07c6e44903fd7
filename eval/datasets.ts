/**
 * Leave-one-out test sets from ../shared/datasets, built exactly as training/data.py builds them (the PyTorch
 * side), so the TypeScript figures and metrics.json describe the same users, histories and targets.
 *
 * Item ids are the datasets' own (1..N); {@link toRows} maps them to item-matrix rows through catalog.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { EvalCase } from './run-model';

/** A test set: histories (oldest first) and targets in dataset item ids, plus named user subsets. */
export interface TestSet {
  readonly dataset: 'beauty' | 'ml1m';
  /** Number of items (ids 1..numItems). */
  readonly numItems: number;
  /** External id of item `i` at index `i - 1` (ASIN for Beauty, the SAS item id for ML-1M, as catalog.json). */
  readonly externalIds: readonly string[];
  readonly histories: readonly (readonly number[])[];
  readonly targets: readonly number[];
  /** Named subsets of the users (truthy = in), e.g. ML-1M's `test_exact`. */
  readonly subsets: Readonly<Record<string, Uint8Array>>;
  /** One line on how the split was built. */
  readonly protocol: string;
}

/** Root of the shared folder: `$LOCALSHELF_SHARED`, else `../shared` beside the repository. */
export function sharedRoot(): string {
  if (process.env.LOCALSHELF_SHARED) return resolve(process.env.LOCALSHELF_SHARED);
  return resolve(repoRoot(), '..', 'shared');
}

/** The repository root (this file lives in `<root>/eval/`). */
export function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..');
}

function readText(path: string): string {
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

function lines(path: string): string[] {
  return readText(path)
    .split('\n')
    .filter((l) => l.trim() !== '');
}

const ints = (line: string): number[] => line.trim().split(/\s+/).map(Number);

/**
 * Amazon Beauty 5-core (S3-Rec split): test target = seq[-1], history = seq[:-1], all 22,363 users.
 */
export function loadBeauty(shared = sharedRoot(), maxUsers?: number): TestSet {
  const root = join(shared, 'datasets', 'amazon-beauty-5core');
  let seqs = lines(join(root, 's3rec_Beauty.txt.gz')).map((l) => ints(l).slice(1));
  if (maxUsers !== undefined) seqs = seqs.slice(0, maxUsers);
  const items = lines(join(root, 'items.tsv.gz')).slice(1);
  const externalIds: string[] = [];
  for (const line of items) {
    const [sid, asin] = line.split('\t');
    externalIds[Number(sid) - 1] = asin!;
  }
  return {
    dataset: 'beauty',
    numItems: externalIds.length,
    externalIds,
    histories: seqs.map((s) => s.slice(0, -1)),
    targets: seqs.map((s) => s[s.length - 1]!),
    subsets: {},
    protocol:
      'leave-one-out on the S3-Rec split, all users: target = last item, history = every earlier item (cut to ' +
      "the model's last maxLen); the same split as training/data.py and the S3-Rec anchors",
  };
}

/**
 * MovieLens-1M, gSASRec split, as training/data.py: `test` = all 6,040 users predicting seq[-1] from everything
 * the shared files hold (seq[:-2] for 5,528 users, whose seq[-2] is missing; seq[:-1] for the 512 validation
 * users); subset `test_exact` = the 512 validation users, whose history seq[:-1] is the papers' protocol.
 */
export function loadMl1m(shared = sharedRoot(), maxUsers?: number): TestSet {
  const root = join(shared, 'datasets', 'movielens-1m');
  const train = lines(join(root, 'gsasrec_train_input.txt.gz')).map(ints);
  const valIn = lines(join(root, 'gsasrec_val_input.txt')).map(ints);
  const valOut = lines(join(root, 'gsasrec_val_output.txt')).map((l) => ints(l)[0]!);
  const testOut = lines(join(root, 'gsasrec_test_output.txt')).map((l) => ints(l)[0]!);
  if (train.length !== testOut.length) throw new Error('ML-1M: train input and test output disagree on users');
  // The validation file does not name its users: val_input = seq[:-2] extends that user's train_input = seq[:-3].
  const byPrefix = new Map<string, number>();
  train.forEach((s, u) => {
    const key = s.join(' ');
    if (!byPrefix.has(key)) byPrefix.set(key, u);
  });
  const histories = train.map((s) => s.slice());
  const exact = new Uint8Array(train.length);
  valIn.forEach((s, i) => {
    const u = byPrefix.get(s.slice(0, -1).join(' '));
    if (u === undefined) throw new Error('ML-1M: a validation sequence does not extend any training sequence');
    histories[u] = [...s, valOut[i]!]; // seq[:-1]
    exact[u] = 1;
  });
  let numItems = 0;
  for (const s of train) for (const x of s) if (x > numItems) numItems = x;
  for (const line of lines(join(root, 'sas_items.tsv')).slice(1)) numItems = Math.max(numItems, Number(line.split('\t')[0]));
  const n = maxUsers ?? train.length;
  return {
    dataset: 'ml1m',
    numItems,
    externalIds: Array.from({ length: numItems }, (_, i) => String(i + 1)),
    histories: histories.slice(0, n),
    targets: testOut.slice(0, n),
    subsets: { test_exact: exact.slice(0, n) },
    protocol:
      'gSASRec split, built as training/data.py builds it so the figures line up with metrics.json. Target = ' +
      'seq[-1] for all 6,040 users. The papers rank seq[-1] given seq[:-1], but the shared files lack seq[-2] for ' +
      '5,528 users, so their history is seq[:-2] (one item skipped: a slightly harder task, figures not exactly ' +
      'comparable with the anchors); the 512 validation users get their full seq[:-1]. `test_exact` reports those ' +
      "512 alone: exactly the papers' protocol, on a subset. Histories are cut to the model's last maxLen items",
  };
}

/**
 * Map a test set to item-matrix rows. With catalog ids, row = index of the item's external id in catalog.json;
 * without, row = id - 1 (the training pipeline's convention, "row i is item i + 1").
 *
 * @throws Error when an item of the test set is not in the catalog.
 */
export function toRows(set: TestSet, catalogIds?: readonly string[]): EvalCase[] {
  let rowOf: (id: number) => number = (id) => id - 1;
  if (catalogIds) {
    const byExternal = new Map(catalogIds.map((id, row) => [id, row]));
    const table = new Int32Array(set.numItems + 1).fill(-1);
    for (let id = 1; id <= set.numItems; id++) table[id] = byExternal.get(set.externalIds[id - 1]!) ?? -1;
    rowOf = (id) => {
      const r = table[id] ?? -1;
      if (r < 0) throw new Error(`${set.dataset}: item ${id} (${set.externalIds[id - 1]}) is not in catalog.json`);
      return r;
    };
  }
  return set.targets.map((t, u) => ({ history: Int32Array.from(set.histories[u]!, rowOf), target: rowOf(t) }));
}

/** True when the shared dataset folder exists. */
export function hasShared(shared = sharedRoot()): boolean {
  return existsSync(join(shared, 'datasets'));
}
