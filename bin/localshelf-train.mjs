#!/usr/bin/env node
// localshelf-train: train a recommender on your own store's log (docs/own-data.md).
//   npx localshelf-train --events events.csv.gz --catalog catalog.csv --out public/models/my-store
//   npx localshelf-train update --base public/models/my-store --events new.csv.gz --catalog catalog.csv --version 2 --out u.lsad
// A thin entry: it runs the Python pipeline (`python3 -m training.store`, PyTorch) with every argument passed
// through. Python: $LOCALSHELF_PYTHON when set, else the first of `python3` on the PATH and /usr/bin/python3 that
// can import torch, numpy and onnx. Plain Node ESM, no dependencies.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROBE = 'import torch, numpy, onnx';

function canImport(python) {
  const r = spawnSync(python, ['-c', PROBE], { stdio: 'ignore' });
  return r.status === 0;
}

function findPython() {
  const forced = process.env.LOCALSHELF_PYTHON;
  if (forced) {
    if (canImport(forced)) return forced;
    throw new Error(`LOCALSHELF_PYTHON=${forced} cannot run "${PROBE}"`);
  }
  for (const candidate of ['python3', '/usr/bin/python3']) {
    if (canImport(candidate)) return candidate;
  }
  throw new Error(
    'no Python with torch, numpy and onnx found (tried $LOCALSHELF_PYTHON, python3, /usr/bin/python3).\n' +
      '  Debian/Ubuntu: apt-get install -y --no-install-recommends python3-torch python3-onnx python3-numpy libopenblas0-pthread\n' +
      '  elsewhere:     pip install torch onnx numpy   (then set LOCALSHELF_PYTHON to that interpreter if it is not python3)',
  );
}

let python;
try {
  python = findPython();
} catch (err) {
  console.error(`localshelf-train: ${err.message}`);
  process.exit(127);
}
const env = { ...process.env, PYTHONPATH: [root, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) };
// `localshelf-train update ...`: an update for a shipped model from newer events (training/store/update.py)
const args = process.argv.slice(2);
const module = args[0] === 'update' ? 'training.store.update' : 'training.store';
const child = spawn(python, ['-m', module, ...(args[0] === 'update' ? args.slice(1) : args)], { stdio: 'inherit', env });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('error', (err) => {
  console.error(`localshelf-train: cannot start ${python}: ${err.message}`);
  process.exit(127);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
