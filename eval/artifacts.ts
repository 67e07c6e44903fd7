/**
 * Read an exported model folder (docs/artifacts.md) from disk for evaluation: manifest, item matrix, catalog
 * ids, which encoders exist, the PyTorch-side metrics.json, the cold-start item list, and any inconsistency
 * (hash mismatch, wrong sizes) as a readable problem instead of a crash.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseItemMatrix, type ItemMatrix } from '../workers/engine/item-matrix';
import type { LoraSpec } from './run-model';

/** The manifest fields evaluation uses. */
export interface EvalManifest {
  readonly format: number;
  readonly name: string;
  readonly dim: number;
  readonly maxLen: number;
  readonly numItems: number;
  readonly files: { readonly encoder: string; readonly items: string; readonly catalog: string };
  readonly sha256?: Readonly<Record<string, string>>;
  readonly lora?: LoraSpec;
  /** Cold-start variant: the number of held-out items (training/export.py), or their ids. */
  readonly coldItems?: number | readonly number[];
}

/** Metrics of one split as training/evaluate.py writes them. */
export interface TorchSplitMetrics {
  readonly all?: Readonly<Record<string, number>>;
  readonly exclude_history?: Readonly<Record<string, number>>;
  readonly users?: number;
  readonly [subset: string]: unknown;
}

/** What an exported folder holds. Every field but `dir` and `problems` may be missing. */
export interface ModelFolder {
  readonly dir: string;
  readonly manifest?: EvalManifest;
  readonly matrix?: ItemMatrix;
  readonly catalogIds?: readonly string[];
  /** catalog.json titles, row order. */
  readonly catalogTitles?: readonly string[];
  /** Paths of the encoders that exist. */
  readonly encoders: { readonly int8?: string; readonly fp32?: string };
  /** training/train.py's metrics.json (PyTorch figures). */
  readonly torchMetrics?: Readonly<Record<string, unknown>>;
  /** Where metrics.json was read from (this folder or the run folder above it). */
  readonly metricsPath?: string;
  /** training/eval_onnx.py's figures for the int8 export (`onnx_metrics.int8.json`), an independent cross-check. */
  readonly pyOnnxMetrics?: Readonly<Record<string, unknown>>;
  readonly pyOnnxMetricsPath?: string;
  /** Dataset item ids held out of training, when this is a cold-start variant. */
  readonly coldItems?: readonly number[];
  /** Inconsistencies found (hash mismatch, size mismatch, unreadable file). */
  readonly problems: readonly string[];
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function readJson(path: string, problems: string[]): unknown {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    problems.push(`${path}: not valid JSON (${(e as Error).message})`);
    return undefined;
  }
}

/**
 * training/train.py writes the PyTorch figures at the top (`valid`, `test`); the store command (training/store)
 * writes them under `pytorch` beside its own int8 figures (`onnx`). Both read as train.py's layout.
 */
export function torchLayout(m: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const pt = m?.pytorch as Record<string, unknown> | undefined;
  if (!m || !pt || typeof pt !== 'object' || m.test !== undefined) return m;
  return { ...m, valid: pt.valid, test: pt.test };
}

/**
 * Read what exists in `dir`. Never throws for missing or broken files; they are listed in `problems` or left
 * undefined, so the report can say what is missing and which command makes it.
 *
 * @param verifyHashes - check every file listed in `manifest.sha256`. @defaultValue true
 */
export function readModelFolder(dir: string, verifyHashes = true): ModelFolder {
  const problems: string[] = [];
  const manifest = readJson(join(dir, 'manifest.json'), problems) as EvalManifest | undefined;
  // training/train.py writes metrics.json and model.pt in the run folder; the export may sit in <run>/artifacts.
  const runDir = existsSync(join(dir, 'metrics.json')) || !existsSync(join(dirname(dir), 'metrics.json')) ? dir : dirname(dir);
  const torchMetrics = torchLayout(readJson(join(runDir, 'metrics.json'), problems) as Record<string, unknown> | undefined);
  const pyOnnxPath = join(runDir, 'onnx_metrics.int8.json');
  const pyOnnxMetrics = readJson(pyOnnxPath, problems) as Record<string, unknown> | undefined;
  const encoders: { int8?: string; fp32?: string } = {};
  const int8Name = manifest?.files.encoder ?? 'encoder.int8.onnx';
  if (existsSync(join(dir, int8Name))) encoders.int8 = join(dir, int8Name);
  if (existsSync(join(dir, 'encoder.fp32.onnx'))) encoders.fp32 = join(dir, 'encoder.fp32.onnx');

  let matrix: ItemMatrix | undefined;
  let catalogIds: string[] | undefined;
  let catalogTitles: string[] | undefined;
  if (manifest) {
    const itemsPath = join(dir, manifest.files.items);
    if (existsSync(itemsPath)) {
      try {
        const bytes = readFileSync(itemsPath);
        matrix = parseItemMatrix(bytes);
        if (matrix.rows !== manifest.numItems || matrix.dim !== manifest.dim) {
          problems.push(
            `${manifest.files.items}: ${matrix.rows} × ${matrix.dim}, manifest says ${manifest.numItems} × ${manifest.dim}`,
          );
        }
      } catch (e) {
        problems.push(`${manifest.files.items}: ${(e as Error).message}`);
      }
    }
    const catalog = readJson(join(dir, manifest.files.catalog), problems) as
      | { items?: { id: string; title?: string }[] }
      | undefined;
    if (catalog?.items) {
      catalogIds = catalog.items.map((i) => String(i.id));
      catalogTitles = catalog.items.map((i) => i.title ?? '');
    }
    if (catalogIds && catalogIds.length !== manifest.numItems) {
      problems.push(`catalog.json has ${catalogIds.length} items, manifest says ${manifest.numItems}`);
    }
    if (verifyHashes) {
      for (const [name, want] of Object.entries(manifest.sha256 ?? {})) {
        const path = join(dir, name);
        if (!existsSync(path)) continue; // e.g. encoder.fp32.onnx listed but kept elsewhere
        const got = sha256(readFileSync(path));
        if (got !== want) problems.push(`${name}: sha256 ${got.slice(0, 12)}… does not match the manifest's ${want.slice(0, 12)}…`);
      }
    }
  }
  return {
    dir,
    ...(manifest && { manifest }),
    ...(matrix && { matrix }),
    ...(catalogIds && { catalogIds }),
    ...(catalogTitles && { catalogTitles }),
    encoders,
    ...(torchMetrics && { torchMetrics, metricsPath: join(runDir, 'metrics.json') }),
    ...(pyOnnxMetrics && { pyOnnxMetrics, pyOnnxMetricsPath: pyOnnxPath }),
    ...coldItemsOf(dir, runDir, manifest, problems),
    problems,
  };
}

/**
 * Cold-start item ids, from the first that has them: `manifest.coldItems` as a list, `cold_items.json` (an array
 * or `{ "items": [...] }`), or the `cold_items` list the training checkpoint (`model.pt`) stores, read with
 * /usr/bin/python3 + torch (training/export.py records only their count in the manifest).
 */
function coldItemsOf(
  dir: string,
  runDir: string,
  manifest: EvalManifest | undefined,
  problems: string[],
): { coldItems?: number[] } {
  if (Array.isArray(manifest?.coldItems)) return { coldItems: manifest.coldItems.map(Number) };
  for (const d of [dir, runDir]) {
    const file = readJson(join(d, 'cold_items.json'), problems) as number[] | { items?: number[] } | undefined;
    const list = Array.isArray(file) ? file : file?.items;
    if (list) return { coldItems: list.map(Number) };
  }
  if (manifest?.coldItems === undefined) return {};
  const ckpt = [join(dir, 'model.pt'), join(runDir, 'model.pt')].find((p) => existsSync(p));
  if (!ckpt) {
    problems.push(`manifest lists ${String(manifest.coldItems)} cold items but neither cold_items.json nor model.pt is here`);
    return {};
  }
  try {
    const script =
      'import json, sys, torch; ck = torch.load(sys.argv[1], map_location="cpu"); print(json.dumps(ck.get("cold_items")))';
    const out = execFileSync('/usr/bin/python3', ['-c', script, ckpt], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const list = JSON.parse(out) as number[] | null;
    if (list) return { coldItems: list.map(Number) };
    problems.push(`${ckpt} has no cold_items list`);
  } catch (e) {
    problems.push(`could not read cold_items from ${ckpt}: ${(e as Error).message.split('\n')[0]}`);
  }
  return {};
}

/** PyTorch figures of one split/subset from metrics.json, e.g. `torchFigures(m, 'test', 'exclude_history')`. */
export function torchFigures(
  metrics: Readonly<Record<string, unknown>> | undefined,
  split: string,
  ranking: 'all' | 'exclude_history',
  subset?: string,
): Readonly<Record<string, number>> | undefined {
  const s = metrics?.[split] as TorchSplitMetrics | undefined;
  const node = subset ? (s?.[subset] as TorchSplitMetrics | undefined) : s;
  return node?.[ranking];
}
