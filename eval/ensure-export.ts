/**
 * When a training run folder holds a checkpoint (`model.pt`) but no full export, make one with the training
 * pipeline's own exporter (`python -m training.export --out`, fp32 + int8) into a cache under training/out/
 * (git-ignored), so one command can evaluate any run without writing into the run's own folder.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Where the cache lives, relative to the repository root. */
export const EXPORT_CACHE = join('training', 'out', '.eval-exports');

/**
 * The folders to search for `run`'s export: `<run>/artifacts`, `<run>`, and, when neither has a manifest but
 * `<run>/model.pt` exists, a fresh export in `<cache>/<run name>/artifacts` (re-made when the checkpoint is newer).
 * metrics.json is copied beside the cached export; the cold-start item list is read from the copied model.pt.
 *
 * @param python - interpreter with torch + onnx (the Debian one). @defaultValue '/usr/bin/python3'
 */
export function exportDirs(
  root: string,
  run: string,
  log: (line: string) => void,
  allowExport = true,
  python = '/usr/bin/python3',
): string[] {
  const dirs = [join(run, 'artifacts'), run];
  const ckpt = join(run, 'model.pt');
  if (dirs.some((d) => existsSync(join(d, 'manifest.json'))) || !existsSync(ckpt) || !allowExport) return dirs;
  const cache = join(root, EXPORT_CACHE, basename(run));
  const out = join(cache, 'artifacts');
  const fresh = existsSync(join(out, 'manifest.json')) && statSync(join(out, 'manifest.json')).mtimeMs >= statSync(ckpt).mtimeMs;
  if (!fresh) {
    log(`${basename(run)}: exporting ${ckpt} with training.export (no export in the run folder)`);
    mkdirSync(cache, { recursive: true });
    copyFileSync(ckpt, join(cache, 'model.pt'));
    try {
      execFileSync(python, ['-m', 'training.export', '--ckpt', join(cache, 'model.pt'), '--out', out], {
        cwd: root,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (e) {
      log(`  export failed: ${String((e as { stderr?: Buffer }).stderr ?? e).slice(-500)}`);
      return dirs;
    }
  }
  if (existsSync(join(run, 'metrics.json'))) copyFileSync(join(run, 'metrics.json'), join(cache, 'metrics.json'));
  return [out, ...dirs];
}
