import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withKeptSections } from '../../../tools/lib/kept-sections';

describe('withKeptSections', () => {
  it('carries over the marked sections the new report lacks, and never doubles one it has', () => {
    const dir = mkdtempSync(join(tmpdir(), 'localshelf-kept-'));
    const path = join(dir, 'REPORT.md');
    writeFileSync(path, '# Old\n\nold table\n\n<!-- a:begin -->\nA old\n<!-- a:end -->\n\n<!-- b:begin -->\nB\n<!-- b:end -->\n');
    const md = withKeptSections('# New\n\nnew table\n\n<!-- a:begin -->\nA new\n<!-- a:end -->\n', path);
    expect(md).toBe('# New\n\nnew table\n\n<!-- a:begin -->\nA new\n<!-- a:end -->\n\n<!-- b:begin -->\nB\n<!-- b:end -->\n');
    expect(withKeptSections('# New\n', join(dir, 'missing.md'))).toBe('# New\n');
    rmSync(dir, { recursive: true });
  });
});
