/**
 * The search engine in Node over the shipped Beauty model: the text encoder runs the text tower on
 * onnxruntime-node, the lexical index persists in (fake) IndexedDB, catalog.add() products (embedded here, grown into
 * the catalog by the service's CatalogView) are indexed at the next search.
 */
import 'fake-indexeddb/auto';
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { isLocalshelfError } from '../../../src/errors';
import { CatalogIndex } from '../../../workers/catalog-index';
import { CatalogView } from '../../../workers/catalog-view';
import { encodeItemMatrix, parseItemMatrix, type ItemMatrix } from '../../../workers/engine/item-matrix';
import { SearchEngine, type OpenSearchOptions, type SearchContext } from '../../../workers/search/engine';
import { readFileUrl } from '../../../eval/read-file-url';

const dir = fileURLToPath(new URL('../../../public/models/beauty/', import.meta.url));
const manifest = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8')) as { sha256: Record<string, string>; dim: number };
const catalog = new CatalogIndex(JSON.parse(readFileSync(`${dir}catalog.json`, 'utf8')).items);
const matrix = parseItemMatrix(readFileSync(`${dir}items.lsim`));

const open = (over: Partial<OpenSearchOptions> = {}): Promise<SearchEngine> =>
  SearchEngine.open({
    options: { textModel: undefined, textDtype: 'q8', offlineCache: false, eager: false },
    manifestTextFolder: pathToFileURL(`${dir}text/`).href,
    catalog,
    matrix,
    catalogSha256: manifest.sha256['catalog.json']!,
    databaseName: 'unit-search',
    ort: ort as never,
    executionProvider: 'cpu',
    fetchFile: readFileUrl,
    ...over,
  });
const ctx = (m: ItemMatrix = matrix, c: CatalogIndex = catalog, user?: Float32Array): SearchContext => ({
  catalog: c,
  matrix: m,
  userVector: async () => (user ? { vector: user, used: 3 } : undefined),
});

let engine: SearchEngine;
beforeAll(async () => {
  engine = await open();
}, 60_000);

describe('SearchEngine', () => {
  it('reports its parts, and restores the persisted index on the next start', async () => {
    expect(engine.info.lexical).toMatchObject({ library: 'minisearch', documents: catalog.size, restored: false });
    expect(engine.info.text).toMatchObject({ dim: manifest.dim, semantic: true });
    const again = await open();
    expect(again.info.lexical.restored).toBe(true);
    const q = await engine.search('nail polish', { k: 10 }, ctx());
    expect((await again.search('nail polish', { k: 10 }, ctx())).items.map((i) => i.id)).toEqual(q.items.map((i) => i.id));
    const otherCatalog = await open({ catalogSha256: 'f'.repeat(64) });
    expect(otherCatalog.info.lexical.restored).toBe(false);
  });

  it('answers a query with matching products and says why', async () => {
    const r = await engine.search('nail polish', { k: 10 }, ctx());
    expect(r.items).toHaveLength(10);
    expect(r.items.filter((i) => /nail|polish|lacquer/i.test(i.title)).length).toBeGreaterThanOrEqual(8);
    expect(r.items[0]!.why.matchedTerms.sort()).toEqual(['nail', 'polish']);
    expect(r.items[0]!.why.semantic).toBeGreaterThan(0);
    expect(r.personalized).toBe(false);
  });

  it('re-ranks with a user vector, within the bound of the personal boost', async () => {
    const user = new Float32Array(manifest.dim);
    const row = catalog.row(catalog.entries.find((e) => /^essie/i.test(e.title))!.id)!;
    for (let j = 0; j < manifest.dim; j++) user[j] = matrix.scales[row]! * matrix.q[row * manifest.dim + j]!;
    const plain = await engine.search('nail polish', { k: 20 }, ctx());
    const mine = await engine.search('nail polish', { k: 20 }, ctx(matrix, catalog, user));
    expect(mine.personalized).toBe(true);
    expect(mine.historyUsed).toBe(3);
    expect(mine.items.map((i) => i.id)).not.toEqual(plain.items.map((i) => i.id));
    for (const i of mine.items) expect(Math.abs(i.why.personal)).toBeLessThanOrEqual(0.5 + 1e-6);
    const off = await engine.search('nail polish', { k: 20, personalize: false }, ctx(matrix, catalog, user));
    expect(off.items.map((i) => i.id)).toEqual(plain.items.map((i) => i.id));
  });

  it('two searches in flight: each keeps its own semantic scores while it waits for the user vector', async () => {
    const user = new Float32Array(manifest.dim).fill(0.1);
    const alone = await engine.search('lip gloss', { k: 10 }, ctx(matrix, catalog, user));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The first search waits for its user vector (as behind a recommend() in the worker) while another query runs.
    const slow: SearchContext = { ...ctx(matrix, catalog, user), userVector: async () => (await gate, { vector: user, used: 3 }) };
    const first = engine.search('lip gloss', { k: 10 }, slow);
    const other = await engine.search('shampoo', { k: 10 }, ctx(matrix, catalog, user));
    release();
    const together = await first;
    expect(together.items.map((i) => [i.id, i.why.semantic])).toEqual(alone.items.map((i) => [i.id, i.why.semantic]));
    expect(other.items[0]!.id).not.toBe(alone.items[0]!.id);
  });

  const addItems = async (e: SearchEngine, items: unknown, c: SearchContext) => {
    const { entries, vectors } = await e.embedNewItems(items, c.catalog, c.matrix.dim);
    return new CatalogView(c.catalog.entries, c.matrix).add(CatalogView.quantize(entries, vectors, c.matrix.dim));
  };

  it('adds products at run time: embedded, searchable, and rows in the item matrix', async () => {
    const e = await open({ databaseName: 'unit-add' });
    const grown = await addItems(e, [{ id: 'NEW-1', title: 'Moonpetal Overnight Lip Sleeping Mask', text: 'hanbang ginseng' }], ctx());
    expect(grown.catalog.size).toBe(catalog.size + 1);
    expect(grown.matrix.rows).toBe(matrix.rows + 1);
    expect(grown.catalog.row('NEW-1')).toBe(catalog.size);
    expect(grown.matrix.scales[matrix.rows]).toBeGreaterThan(0);
    const r = await e.search('moonpetal', { k: 3 }, ctx(grown.matrix, grown.catalog));
    expect(r.items[0]).toMatchObject({ id: 'NEW-1', added: true });
    const byText = await e.search('hanbang', { k: 3 }, ctx(grown.matrix, grown.catalog));
    expect(byText.items.map((i) => i.id)).toContain('NEW-1');
    const err = await addItems(e, [{ id: 'NEW-1', title: 'dup' }], ctx(grown.matrix, grown.catalog)).catch((x: unknown) => x);
    expect(isLocalshelfError(err, 'INVALID_ARGUMENT')).toBe(true);
    for (const bad of [[{ id: 'x' }], [{ id: 5, title: 't' }], 'nope', [null]]) {
      expect(isLocalshelfError(await addItems(e, bad, ctx()).catch((x: unknown) => x), 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('with the text encoder off, search is lexical only and catalog.add() rejects', async () => {
    const lexicalOnly = await open({ options: { textModel: false, textDtype: 'q8', offlineCache: false, eager: false } });
    expect(lexicalOnly.info.text).toBeNull();
    const r = await lexicalOnly.search('shampoo', { k: 5 }, ctx());
    expect(r.items.length).toBe(5);
    expect(r.items.every((i) => i.why.semantic === 0)).toBe(true);
    const err = await addItems(lexicalOnly, [{ id: 'N', title: 'x' }], ctx()).catch((x: unknown) => x);
    expect(isLocalshelfError(err, 'NOT_READY')).toBe(true);
  });

  it('gives empty results for an empty query and typed errors for bad ones', async () => {
    expect((await engine.search('   ', {}, ctx())).items).toEqual([]);
    const err = await engine.search('x'.repeat(600), {}, ctx()).catch((x: unknown) => x);
    expect(isLocalshelfError(err, 'INVALID_QUERY')).toBe(true);
  });

  it('uses precomputed text vectors when the text model does not fit the item matrix', async () => {
    // A 32-d recommender beside the 64-d text model: the item matrix cannot serve semantic search.
    const rows = catalog.size;
    const small = parseItemMatrix(new Uint8Array(encodeItemMatrix(Float32Array.from({ length: rows * 32 }, (_, i) => Math.sin(i)), rows, 32)));
    const without = await open({ matrix: small, databaseName: 'unit-tv' });
    expect(without.info.text).toMatchObject({ dim: 64, semantic: false });
    expect((await without.search('nail polish', { k: 5 }, ctx(small))).items.every((i) => i.why.semantic === 0)).toBe(true);
    // Text vectors of every title, as `npm run search-vectors` writes them.
    const { openTextEncoder } = await import('../../../workers/search/text-encoder');
    const enc = await openTextEncoder({ folder: pathToFileURL(`${dir}text/`).href, dtype: 'q8', ort: ort as never, executionProvider: 'cpu', fetchFile: readFileUrl });
    const titles = catalog.entries.map((e) => e.title);
    const vec = new Float32Array(rows * 64);
    for (let i = 0; i < rows; i += 512) vec.set(await enc.embed(titles.slice(i, i + 512)), i * 64);
    const file = new Uint8Array(encodeItemMatrix(vec, rows, 64));
    const withVectors = await open({ matrix: small, databaseName: 'unit-tv', textVectors: file });
    expect(withVectors.info.text).toMatchObject({ dim: 64, semantic: true });
    const r = await withVectors.search('nail polish', { k: 5 }, ctx(small));
    expect(r.items.every((i) => i.why.semantic > 0)).toBe(true);
    expect(r.candidates.semantic).toBe(100);
    // New items need vectors of the item matrix's size to be recommendable.
    const err = await addItems(withVectors, [{ id: 'N', title: 'x' }], ctx(small)).catch((x: unknown) => x);
    expect(isLocalshelfError(err, 'NOT_READY')).toBe(true);
    // A file for another catalog is refused.
    const wrong = await open({ matrix: small, databaseName: 'unit-tv', textVectors: new Uint8Array(encodeItemMatrix(vec.subarray(0, 64 * 10), 10, 64)) }).catch((x: unknown) => x);
    expect(isLocalshelfError(wrong, 'MODEL_CORRUPT')).toBe(true);
  });

  it('names a missing text model with MODEL_FETCH', async () => {
    const err = await open({ options: { textModel: 'https://shop.example/models/none/', textDtype: 'q8', offlineCache: false, eager: false } }).catch((x: unknown) => x);
    expect(isLocalshelfError(err, 'MODEL_FETCH')).toBe(true);
  });
});
