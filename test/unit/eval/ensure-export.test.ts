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
});
