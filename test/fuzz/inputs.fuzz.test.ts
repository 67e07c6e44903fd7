/**
 * Hostile input: every target of targets.ts gets `FUZZ_RUNS` generated inputs (seeded: `FUZZ_SEED`). In
 * `npm test` a small sample runs; `npm run fuzz` runs 10,000 per target (over 10^5 in all) and writes
 * test-results/fuzz.json for RELIABILITY.md.
 */
import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { isLocalshelfError } from '../../src/errors';
import { TARGETS } from './targets';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const report: { target: string; runs: number; typedErrors: number; ms: number }[] = [];

describe(`fuzz: ${RUNS} inputs per target, seed ${SEED}`, () => {
  for (const target of TARGETS) {
    it(target.name, () => {
      let typed = 0;
      const started = performance.now();
      fc.assert(
        fc.property(target.input, (input) => {
          try {
            target.run(input);
          } catch (error) {
            if (!isLocalshelfError(error) || !(target.codes as readonly string[]).includes(error.code)) throw error;
            typed++;
          }
        }),
        { numRuns: RUNS, seed: SEED },
      );
      report.push({ target: target.name, runs: RUNS, typedErrors: typed, ms: Math.round(performance.now() - started) });
      expect(typed).toBeLessThanOrEqual(RUNS);
    }, 600_000);
  }
  afterAll(() => {
    if (!process.env.FUZZ_REPORT) return;
    mkdirSync('test-results', { recursive: true });
    writeFileSync(process.env.FUZZ_REPORT, JSON.stringify({ seed: SEED, runsPerTarget: RUNS, targets: report }, null, 1));
  });
});
