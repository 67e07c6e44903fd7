/**
 * Run one encoder over a dataset's test users against one item matrix, and summarize it on demand.
 */
import { relative } from 'node:path';
import type { ItemMatrix } from '../workers/engine/item-matrix';
import type { ModelFolder } from './artifacts';
import { toRows, type TestSet } from './datasets';
import type { VariantResult } from './report';
import { openEncoder, rankCases, summarizeRun, type RankRun } from './run-model';

/** Evaluation knobs. */
export interface RunSettings {
  readonly root: string;
  readonly threads: number;
  readonly batchSize: number;
  readonly log: (line: string) => void;
}

/** A finished run and a way to summarize it over all users or a subset. */
export interface Ran {
  readonly run: RankRun;
  readonly result: (label: string, mask?: Uint8Array) => VariantResult;
}

/**
 * Evaluate `encoderPath` on `test`, with the item matrix, manifest and catalog of `matrixFolder` (or `matrix`,
 * e.g. one whose cold rows were re-encoded from text; `matrixLabel` then names it in the report).
 */
export async function runVariant(
  encoderPath: string,
  matrixFolder: ModelFolder,
  test: TestSet,
  s: RunSettings,
  matrix: ItemMatrix = matrixFolder.matrix!,
  matrixLabel?: string,
): Promise<Ran> {
  const manifest = matrixFolder.manifest!;
  const cases = toRows(test, matrixFolder.catalogIds);
  const session = await openEncoder(encoderPath, s.threads);
  const name = relative(s.root, encoderPath);
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
  const items = matrixLabel ?? `\`${relative(s.root, matrixFolder.dir)}/${manifest.files.items}\``;
  const source = `\`${name}\` + ${items}`;
  return { run, result: (label, mask) => ({ label, source, ...summarizeRun(run, [10, 20], mask), seconds: run.seconds }) };
}
