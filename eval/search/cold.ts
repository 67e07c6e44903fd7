/**
 * Cold start through the run-time path: the cold-start model variant (items withheld from training entirely)
 * starts with the warm catalog only; the withheld items are then added with the engine's own
 * `SearchEngine.addItems` (text vectors from the worker's text encoder), and are recommended and searched.
 */
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModelFolder } from '../artifacts';
import type { TestSet } from '../datasets';
import { CatalogView } from '../../workers/catalog-view';
import { CatalogIndex } from '../../workers/catalog-index';
import type { ItemMatrix } from '../../workers/engine/item-matrix';
import { scoreAll } from '../../workers/engine/score';
import { SearchEngine, type SearchContext } from '../../workers/search/engine';
import type { FusionWeights } from '../../workers/search/fuse';
import { readFileUrl } from '../read-file-url';
import { openStack, summarize, userVectors, type Stack } from './harness';
import { documentFrequency, knownItemQuery } from './queries';
import type { Metrics } from './tasks';

export interface ColdResult {
  /** Items withheld from training. */
  withheld: number;
  /** Of those, the ones with a title (added with catalog.add()). */
  coldItems: number;
  users: number;
  addMs: number;
  recommend: { added: Metrics; exported: Metrics };
  knownItem: { cold: Metrics; warm: Metrics };
}

function subset(matrix: ItemMatrix, rows: readonly number[]): ItemMatrix {
  const { dim } = matrix;
  const scales = Float32Array.from(rows, (r) => matrix.scales[r]!);
  const q = new Int8Array(rows.length * dim);
  rows.forEach((r, i) => q.set(matrix.q.subarray(r * dim, (r + 1) * dim), i * dim));
  return { rows: rows.length, dim, scales, q };
}

/** Rank of `target` among all rows (pessimistic ties). */
function rank(scores: Float32Array, target: number, rows: number): number {
  const t = scores[target]!;
  let r = 1;
  for (let i = 0; i < rows; i++) if (i !== target && scores[i]! >= t) r++;
  return r;
}

export async function coldStartSearch(folder: ModelFolder, test: TestSet, weights: FusionWeights, log: (m: string) => void): Promise<ColdResult | undefined> {
  const full = folder.matrix;
  if (!folder.coldItems || !full || !folder.catalogIds || !folder.catalogTitles) {
    log(`cold: ${folder.dir} has no cold item list or files; skipped`);
    return undefined;
  }
  const ids = folder.catalogIds;
  const titles = folder.catalogTitles;
  const rowOfAsin = new Map(ids.map((id, r) => [id, r]));
  const coldRows = new Set(folder.coldItems.map((id) => rowOfAsin.get(test.externalIds[id - 1]!)!));
  const warmRows = ids.map((_, r) => r).filter((r) => !coldRows.has(r));
  // catalog.add() needs a title: withheld items without one cannot be added, and leave the experiment.
  const coldList = [...coldRows].sort((a, b) => a - b).filter((r) => titles[r]!.trim() !== '');
  const stack: Stack = await openStack(folder);
  const warmCatalog = new CatalogIndex(warmRows.map((r) => ({ id: ids[r]!, title: titles[r]!, popularity: 0 })));
  const engine = await SearchEngine.open({
    options: { textModel: pathToFileURL(join(folder.dir, 'text') + '/').href, textDtype: 'q8', offlineCache: false, eager: false },
    catalog: warmCatalog,
    matrix: subset(full, warmRows),
    catalogSha256: '',
    databaseName: 'eval',
    ort: ort as never,
    executionProvider: 'cpu',
    fetchFile: readFileUrl,
    weights,
  });
  const base: SearchContext = { catalog: warmCatalog, matrix: subset(full, warmRows), userVector: async () => undefined };
  const t0 = performance.now();
  const embedded = await engine.embedNewItems(coldList.map((r) => ({ id: ids[r]!, title: titles[r]! })), base.catalog, base.matrix.dim);
  // what the worker does with catalog.add(): the products' int8 rows after the model's
  const grown = new CatalogView(warmCatalog.entries, base.matrix).add(CatalogView.quantize(embedded.entries, embedded.vectors, base.matrix.dim));
  const addMs = performance.now() - t0;
  log(`cold: ${coldList.length} withheld items added in ${addMs.toFixed(0)} ms`);

  // Test users whose target is a withheld item; histories in the grown catalog's rows.
  const newRow = (datasetId: number): number | undefined => grown.catalog.row(test.externalIds[datasetId - 1]!);
  const users = test.targets.flatMap((t, u) => (coldRows.has(rowOfAsin.get(test.externalIds[t - 1]!)!) && newRow(t) !== undefined ? [u] : []));
  const histories = users.map((u) => test.histories[u]!.flatMap((id) => newRow(id) ?? []));
  const exportedHistories = users.map((u) => test.histories[u]!.map((id) => rowOfAsin.get(test.externalIds[id - 1]!)!));
  const vectors = await userVectors(stack, histories, grown.matrix);
  const exportedVectors = await userVectors(stack, exportedHistories, full);
  const dim = grown.matrix.dim;
  const scores = new Float32Array(Math.max(grown.matrix.rows, full.rows));
  const added: number[] = [];
  const exported: number[] = [];
  users.forEach((u, i) => {
    scoreAll(grown.matrix, vectors.subarray(i * dim, (i + 1) * dim), scores);
    added.push(rank(scores, newRow(test.targets[u]!)!, grown.matrix.rows));
    scoreAll(full, exportedVectors.subarray(i * dim, (i + 1) * dim), scores);
    exported.push(rank(scores, rowOfAsin.get(test.externalIds[test.targets[u]! - 1]!)!, full.rows));
  });

  // Known-item search for every withheld item, and for as many warm items, through engine.search().
  const df = documentFrequency(titles);
  const ctx: SearchContext = { catalog: grown.catalog, matrix: grown.matrix, userVector: async () => undefined };
  const known = async (rows: readonly number[]): Promise<number[]> => {
    const out: number[] = [];
    for (const r of rows) {
      const q = knownItemQuery(titles[r]!, df);
      if (!q) continue;
      const res = await engine.search(q, { k: 100, personalize: false }, ctx);
      const i = res.items.findIndex((h) => h.id === ids[r]);
      out.push(i < 0 ? Infinity : i + 1);
    }
    return out;
  };
  const warmSample = warmRows.filter((_, i) => i % Math.max(1, Math.floor(warmRows.length / coldList.length)) === 0).slice(0, coldList.length);
  return {
    withheld: coldRows.size,
    coldItems: coldList.length,
    users: users.length,
    addMs,
    recommend: { added: summarize(added), exported: summarize(exported) },
    knownItem: { cold: summarize(await known(coldList)), warm: summarize(await known(warmSample)) },
  };
}
