import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportDirs } from '../../../eval/ensure-export';

describe('exportDirs', () => {
  it('uses an existing export and never re-exports it', () => {
    const root = mkdtempSync(join(tmpdir(), 'localshelf-exp-'));
    const run = join(root, 'run');
    mkdirSync(join(run, 'artifacts'), { recursive: true });
    writeFileSync(join(run, 'model.pt'), '');
    writeFileSync(join(run, 'artifacts', 'manifest.json'), '{}');
    const log: string[] = [];
    // A python that does not exist: any export attempt would show up in the log as a failure.
    expect(exportDirs(root, run, (l) => log.push(l), true, '/nonexistent/python')).toEqual([join(run, 'artifacts'), run]);
    expect(log).toEqual([]);
    rmSync(root, { recursive: true });
  });

  it('reports a failed export and falls back to the run folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'localshelf-exp-'));
    const run = join(root, 'run');
    mkdirSync(run);
    writeFileSync(join(run, 'model.pt'), '');
    const log: string[] = [];
    expect(exportDirs(root, run, (l) => log.push(l), true, '/nonexistent/python')).toEqual([join(run, 'artifacts'), run]);
    expect(log.join('\n')).toMatch(/exporting .*model\.pt[\s\S]*export failed/);
    expect(exportDirs(root, run, () => {}, false)).toEqual([join(run, 'artifacts'), run]);
    rmSync(root, { recursive: true });
  });

  it('exports a store-command run from the checkpoint in the work folder its metrics.json names', () => {
    const root = mkdtempSync(join(tmpdir(), 'localshelf-exp-'));
    const run = join(root, 'store-run');
    mkdirSync(join(root, 'store-run.work'), { recursive: true });
    mkdirSync(run);
    writeFileSync(join(run, 'manifest.json'), '{}'); // the int8 model folder the command wrote, no fp32
    writeFileSync(join(run, 'metrics.json'), JSON.stringify({ work: 'store-run.work', pytorch: { test: {} } }));
    writeFileSync(join(root, 'store-run.work', 'model.pt'), '');
    const log: string[] = [];
    exportDirs(root, run, (l) => log.push(l), true, '/nonexistent/python');
    expect(log.join('\n')).toMatch(/exporting .*store-run\.work\/model\.pt/);
    writeFileSync(join(run, 'encoder.fp32.onnx'), ''); // a full export already there: nothing to do
    const quiet: string[] = [];
    expect(exportDirs(root, run, (l) => quiet.push(l), true, '/nonexistent/python')).toEqual([join(run, 'artifacts'), run]);
    expect(quiet).toEqual([]);
    rmSync(root, { recursive: true });
  });
});
