/**
 * When a training run folder holds a checkpoint (`model.pt`) but no full export, make one with the training
 * pipeline's own exporter (`python -m training.export --out`, fp32 + int8) into a cache under training/out/
 * (git-ignored), so one command can evaluate any run without writing into the run's own folder.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';

/** Where the cache lives, relative to the repository root. */
export const EXPORT_CACHE = join('training', 'out', '.eval-exports');

/**
 * The folders to search for `run`'s export: `<run>/artifacts`, `<run>`, and, when neither has a manifest but
 * `<run>/model.pt` exists, a fresh export in `<cache>/<run name>/artifacts` (re-made when the checkpoint is newer).
 * metrics.json is copied beside the cached export; the cold-start item list is read from the copied model.pt.
 * A store-command run (training/store: `<run>` is the int8 model folder, its metrics.json names the work folder
 * that holds model.pt) is exported the same way, for the fp32 comparison.
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
  const work = storeWorkDir(root, run);
  const ckpt = join(work ?? run, 'model.pt');
  const exported = work ? dirs.some((d) => existsSync(join(d, 'encoder.fp32.onnx'))) : dirs.some((d) => existsSync(join(d, 'manifest.json')));
  if (exported || !existsSync(ckpt) || !allowExport) return dirs;
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

/** The work folder a store-command run's metrics.json names (`work`), when it holds the checkpoint. */
function storeWorkDir(root: string, run: string): string | undefined {
  try {
    const m = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')) as { work?: unknown; pytorch?: unknown };
    if (typeof m.work !== 'string' || !m.pytorch) return undefined;
    const work = isAbsolute(m.work) ? m.work : join(root, m.work);
    return existsSync(join(work, 'model.pt')) ? work : undefined;
  } catch {
    return undefined;
  }
}
