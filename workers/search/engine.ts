/**
 * The search engine of one worker: the lexical index (MiniSearch, persisted in IndexedDB), the text encoder
 * (transformers.js on the worker's onnxruntime), hybrid fusion and the personal re-rank, and run-time
 * catalog additions. The recommender service owns the catalog, the item matrix and the history; it hands them in.
 */
import { LocalshelfError } from '../../src/errors';
import type { SearchInfo } from '../../src/protocol';
import type { ResolvedSearchOptions, SearchRequest, SearchResult } from '../../src/search';
import type { CatalogIndex } from '../catalog-index';
import { appendRows, parseItemMatrix, type ItemMatrix } from '../engine/item-matrix';
import { checkNewItems } from './add-items';
import type { CatalogEntry } from '../runtime/load-model';
import { CANDIDATES, DEFAULT_WEIGHTS, fuse, type FusionWeights } from './fuse';
import { IndexStore } from './index-store';
import { LEXICAL_INDEX_VERSION, LexicalIndex, type LexicalDoc } from './lexical-index';
import { checkSearchRequest, MAX_QUERY_TERMS } from './query';
import type { Rules } from '../../src/protocol';
import { matches } from '../rules';
import { cosineAll, rowNorms } from './semantic';
import { openTextEncoder, type TextEncoder, type TextEncoderOptions } from './text-encoder';

/** What the service hands in on every call. */
export interface SearchContext {
  catalog: CatalogIndex;
  matrix: ItemMatrix;
  /** The shopper's user vector and how many events made it; `undefined` without usable history. */
  userVector(): Promise<{ vector: Float32Array; used: number } | undefined>;
  /** Attribute conditions results must meet (`rules.where`, checked by the service). */
  where?: Rules['where'];
  /** Non-zero for rows never to return (removed by an update). */
  removed?: Uint8Array;
}

export interface OpenSearchOptions {
  options: ResolvedSearchOptions;
  /** Folder of the manifest's own text tower (`manifest.files.text` resolved), if it names one. */
  manifestTextFolder?: string;
  catalog: CatalogIndex;
  matrix: ItemMatrix;
  /** sha256 of catalog.json: the persisted lexical index is keyed by it. */
  catalogSha256: string;
  /** IndexedDB name of the persisted index. */
  databaseName: string;
  ort: TextEncoderOptions['ort'];
  executionProvider?: string;
  fetchFile: (url: string) => Promise<Uint8Array>;
  /** Turn-taking on the shared onnxruntime for the text encoder's runs (see {@link TextEncoderOptions.exclusive}). */
  exclusive?: TextEncoderOptions['exclusive'];
  /** Catalog text vectors precomputed with the text model (LSIM bytes, catalog order), if any. */
  textVectors?: Uint8Array;
  weights?: FusionWeights;
}

export class SearchEngine {
  readonly info: SearchInfo;
  readonly #lexical: LexicalIndex;
  readonly #text: TextEncoder | undefined;
  readonly #baseRows: number;
  readonly #weights: FusionWeights;
  /** Precomputed catalog text vectors; `undefined`: the item matrix is the semantic index. */
  #vectors: ItemMatrix | undefined;
  /** Row norms of the semantic index, and the index they are of. */
  #norms: Float32Array;
  #normsOf: ItemMatrix;
  /** Rows past the model's that are in the lexical (and text-vector) index. */
  readonly #indexedExtra = new Set<number>();
  /** Rows past the model's, in the order `#vectors` holds them (when there are precomputed text vectors). */
  #vectorRows = new Map<number, number>();

  private constructor(lexical: LexicalIndex, text: TextEncoder | undefined, info: SearchInfo, matrix: ItemMatrix, weights: FusionWeights, vectors?: ItemMatrix) {
    this.#lexical = lexical;
    this.#text = text;
    this.info = info;
    this.#baseRows = matrix.rows;
    this.#weights = weights;
    this.#vectors = vectors;
    this.#normsOf = vectors ?? matrix;
    this.#norms = rowNorms(this.#normsOf);
  }

  static async open(o: OpenSearchOptions): Promise<SearchEngine> {
    const folder = o.options.textModel === false ? undefined : (o.options.textModel ?? o.manifestTextFolder);
    const [lexical, text] = await Promise.all([
      openLexical(o),
      folder
        ? openTextEncoder({ folder, dtype: o.options.textDtype, ort: o.ort, executionProvider: o.executionProvider, fetchFile: o.fetchFile, exclusive: o.exclusive })
        : undefined,
    ]);
    const vectors = text && o.textVectors ? checkTextVectors(o.textVectors, o.catalog.size, text.dim) : undefined;
    const info: SearchInfo = {
      lexical: { library: 'minisearch', documents: lexical.index.size, restored: lexical.restored },
      text: text ? { model: text.folder, dim: text.dim, semantic: vectors !== undefined || text.dim === o.matrix.dim } : null,
    };
    return new SearchEngine(lexical.index, text, info, o.matrix, o.weights ?? DEFAULT_WEIGHTS, vectors);
  }

  /** Hybrid search with an optional personal re-rank. @throws LocalshelfError `INVALID_QUERY`, `INVALID_ARGUMENT`, `INFERENCE` */
  async search(query: unknown, request: SearchRequest | undefined, ctx: SearchContext, signal?: AbortSignal): Promise<SearchResult> {
    const started = performance.now();
    const r = checkSearchRequest(query, request);
    const empty: SearchResult = { items: [], query: r.query, personalized: false, historyUsed: 0, candidates: { lexical: 0, semantic: 0 }, elapsedMs: 0 };
    const terms = this.#lexical.terms(r.query).slice(0, MAX_QUERY_TERMS);
    if (r.query.length === 0 || (terms.length === 0 && !this.#semanticOn(ctx))) return { ...empty, elapsedMs: performance.now() - started };
    await this.#sync(ctx);
    let mask = allowMask(ctx.catalog, r.filterIds);
    if (ctx.removed) {
      mask ??= new Uint8Array(ctx.catalog.size);
      for (let row = 0; row < mask.length; row++) if (ctx.removed[row]) mask[row] = 1;
    }
    if (ctx.where) {
      mask ??= new Uint8Array(ctx.catalog.size);
      ctx.catalog.entries.forEach((e, row) => {
        if (!matches(e, ctx.where)) mask![row] = 1;
      });
    }
    const lexical = this.#lexical.search(terms, CANDIDATES.lexical);
    let semantic: Float32Array | undefined;
    if (this.#semanticOn(ctx)) {
      const vector = await this.#text!.embed([r.query]);
      // A buffer of this call's own: the await for the user vector below lets another search run meanwhile, and a
      // buffer shared between calls got the other query's scores (found with searches in flight on WebGPU).
      semantic = this.#semantic(ctx, vector);
    }
    if (signal?.aborted) throw new LocalshelfError('ABORTED', 'search() was aborted', { cause: signal.reason });
    const user = r.personalize ? await ctx.userVector() : undefined;
    const personal = user ? personalScorer(ctx.matrix, user.vector) : undefined;
    const hits = fuse({ lexical, semantic, rows: ctx.matrix.rows, mask, personal, weights: this.#weights });
    const items = hits.slice(0, r.k).map((h) => {
      const e = ctx.catalog.entries[h.row]!;
      return {
        id: e.id,
        title: e.title,
        score: h.score,
        relevance: h.relevance,
        why: { matchedTerms: h.terms, lexical: h.lexical, semantic: h.semantic, personal: h.personal },
        ...(h.row >= this.#baseRows ? { added: true } : {}),
      };
    });
    return {
      items,
      query: r.query,
      personalized: personal !== undefined,
      historyUsed: user?.used ?? 0,
      candidates: { lexical: lexical.length, semantic: semantic ? Math.min(CANDIDATES.semantic, ctx.matrix.rows) : 0 },
      elapsedMs: performance.now() - started,
    };
  }

  /**
   * Checks new products and embeds their titles with the text encoder (vectors `[items.length, dim]`, row-major);
   * the service adds them to its catalog, and the next search indexes them.
   * @throws LocalshelfError `INVALID_ARGUMENT`, `NOT_READY` (no text encoder, or one whose vectors do not fit the matrix), `INFERENCE`
   */
  async embedNewItems(raw: unknown, catalog: CatalogIndex, dim: number): Promise<{ entries: CatalogEntry[]; vectors: Float32Array }> {
    const items = checkNewItems(raw, catalog);
    if (this.#text === undefined || this.#text.dim !== dim) {
      throw new LocalshelfError('NOT_READY', 'catalog.add() needs a text encoder whose vectors have the item matrix\'s size (search.textModel)');
    }
    const vectors = await this.#text.embed(items.map((it) => it.title));
    return { entries: items.map((it) => ({ id: it.id, title: it.title, popularity: 0, ...(it.text !== undefined ? { text: it.text } : {}) })), vectors };
  }

  /** Indexes the rows past the model's that the lexical index (and the text vectors) do not have yet. */
  async #sync(ctx: SearchContext): Promise<void> {
    const fresh: LexicalDoc[] = [];
    for (let row = this.#baseRows; row < ctx.catalog.size; row++) {
      const e = ctx.catalog.entries[row]!;
      if (this.#indexedExtra.has(row) || e.title === '') continue;
      this.#indexedExtra.add(row);
      fresh.push({ id: row, title: e.title, text: e.text ?? '' });
    }
    if (fresh.length === 0) return;
    this.#lexical.add(fresh);
    if (this.#vectors && this.#text && this.#semanticOn(ctx)) {
      const vectors = await this.#text.embed(fresh.map((d) => d.title));
      const from = this.#vectors.rows;
      this.#vectors = appendRows(this.#vectors, vectors, fresh.length);
      fresh.forEach((d, i) => this.#vectorRows.set(d.id, from + i));
    }
  }

  /** Cosine of `vector` with every row of the catalog: the text vectors, or the item matrix itself. */
  #semantic(ctx: SearchContext, vector: Float32Array): Float32Array {
    const index = this.#vectors ?? ctx.matrix;
    if (this.#normsOf !== index) {
      this.#normsOf = index;
      this.#norms = rowNorms(index);
    }
    const scores = cosineAll(index, this.#norms, vector);
    if (!this.#vectors || ctx.matrix.rows === this.#baseRows) return scores;
    // precomputed text vectors: rows past the model's sit where #sync appended them
    const out = new Float32Array(ctx.matrix.rows);
    out.set(scores.subarray(0, this.#baseRows));
    for (const [row, at] of this.#vectorRows) if (row < out.length) out[row] = scores[at]!;
    return out;
  }

  #semanticOn(ctx: SearchContext): boolean {
    return this.#text !== undefined && (this.#vectors !== undefined || this.#text.dim === ctx.matrix.dim);
  }
}

/** Parses precomputed text vectors and checks they fit the catalog and the text model. @throws `MODEL_CORRUPT` */
function checkTextVectors(bytes: Uint8Array, rows: number, dim: number): ItemMatrix {
  const m = parseItemMatrix(bytes);
  if (m.rows !== rows || m.dim !== dim) {
    throw new LocalshelfError('MODEL_CORRUPT', `the text vectors are ${m.rows} × ${m.dim}; the catalog has ${rows} items and the text model ${dim} dimensions`);
  }
  return m;
}

/** Restores the persisted lexical index of this catalog, or builds and saves it (`restored: false`). */
async function openLexical(o: OpenSearchOptions): Promise<{ index: LexicalIndex; restored: boolean }> {
  const key = `${o.catalogSha256}:v${LEXICAL_INDEX_VERSION}`;
  const store = await IndexStore.open(o.databaseName);
  try {
    const parts = await store?.load(key);
    if (parts) {
      try {
        const index = await LexicalIndex.deserialize(parts);
        if (index.size === o.catalog.size) return { index, restored: true };
      } catch {
        /* a damaged record: rebuild below */
      }
    }
    const index = await LexicalIndex.buildInChunks(o.catalog.entries.map((e, row) => ({ id: row, title: e.title })));
    // in parts, pausing between them: recommend() keeps answering while a large index is saved
    if (store) await store.save(key, await index.serialize(), index.size);
    return { index, restored: false };
  } finally {
    store?.close();
  }
}

/** Non-zero for rows outside `filter.ids` (undefined when there is no filter). */
function allowMask(catalog: CatalogIndex, ids: readonly string[] | undefined): Uint8Array | undefined {
  if (ids === undefined) return undefined;
  const mask = new Uint8Array(catalog.size).fill(1);
  for (const id of ids) {
    const row = catalog.row(id);
    if (row !== undefined) mask[row] = 0;
  }
  return mask;
}

/** `user · item` for one row, from the int8 matrix. */
function personalScorer(matrix: ItemMatrix, user: Float32Array): (row: number) => number {
  const { dim, q, scales } = matrix;
  return (row) => {
    let s = 0;
    for (let j = 0, o = row * dim; j < dim; j++) s += q[o + j]! * user[j]!;
    return scales[row]! * s;
  };
}
