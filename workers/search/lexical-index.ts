/**
 * Lexical retrieval with MiniSearch (BM25+, prefix and typo-tolerant matching, incremental adds, JSON
 * serialization). Documents are catalog rows: `{ id: row, title, text? }`.
 */
import MiniSearch, { type AsPlainObject, type Options, type SearchOptions as MiniSearchOptions } from 'minisearch';

/**
 * Bump when the index options or the persisted form change, so a record written the old way is rebuilt
 * (2: the index is saved in parts, {@link LexicalIndex.serialize}).
 */
export const LEXICAL_INDEX_VERSION = 2;

/** Entries per part of a serialized index: a part is stringified or parsed in one go (~20 ms for 20,000 terms). */
const ENTRIES_PER_PART = 20_000;

/** MiniSearch's per-document maps, serialized entry by entry; with the term index, all that grows with the catalog. */
const MAP_SECTIONS = ['documentIds', 'fieldLength', 'storedFields'] as const;
type MapSection = (typeof MAP_SECTIONS)[number];
type Section = MapSection | 'index';
const SECTIONS: readonly Section[] = [...MAP_SECTIONS, 'index'];

/** MiniSearch 7's fields behind `toJSON()` (serialization version 2); checked before use, see `internals`. */
interface MiniInternals {
  _documentCount: number;
  _nextId: number;
  _fieldIds: Record<string, number>;
  _avgFieldLength: number[];
  _dirtCount: number;
  _documentIds: Map<number, unknown>;
  _fieldLength: Map<number, unknown>;
  _storedFields: Map<number, unknown>;
  _index: Iterable<[string, Map<number, Map<number, number>>]>;
}

const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export interface LexicalDoc {
  id: number;
  title: string;
  text?: string;
}

export interface LexicalHit {
  row: number;
  /** BM25+ score (with MiniSearch's prefix and fuzzy weights). */
  score: number;
  /** Catalog terms that matched. */
  terms: string[];
}

// Words that carry no product meaning; dropped from documents and queries alike.
const STOP_WORDS = new Set(
  'a an and are as at be by for from has have in is it its of on or the to with without your you our this that these those'.split(' '),
);

/** Lower-cases, strips accents (as the WordPiece tokenizer does), drops stop words. */
export function processTerm(term: string): string | null {
  const t = term.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  return t.length === 0 || STOP_WORDS.has(t) ? null : t;
}

const INDEX_OPTIONS: Options<LexicalDoc> = {
  fields: ['title', 'text'],
  storeFields: [],
  processTerm,
};

const SEARCH_OPTIONS: MiniSearchOptions = {
  boost: { title: 2 },
  combineWith: 'OR',
  // Search as you type: the last term may be a prefix of a catalog term.
  prefix: (term, i, terms) => i === terms.length - 1 && term.length >= 2,
  // One typo in words of 5+ characters, two in 10+.
  fuzzy: (term) => (term.length >= 5 ? 0.2 : false),
  maxFuzzy: 2,
};

export class LexicalIndex {
  readonly #mini: MiniSearch<LexicalDoc>;

  private constructor(mini: MiniSearch<LexicalDoc>) {
    this.#mini = mini;
  }

  /** Builds the index over `docs`. */
  static build(docs: readonly LexicalDoc[]): LexicalIndex {
    const mini = new MiniSearch<LexicalDoc>(INDEX_OPTIONS);
    mini.addAll(docs);
    return new LexicalIndex(mini);
  }

  /**
   * Builds the index over `docs` in chunks, yielding to the event loop between them, so that the worker goes on
   * answering (a 100,000-title build takes seconds: BENCHMARKS.md, "Catalog scale").
   */
  static async buildInChunks(docs: readonly LexicalDoc[], chunkSize = 2000): Promise<LexicalIndex> {
    const mini = new MiniSearch<LexicalDoc>(INDEX_OPTIONS);
    await mini.addAllAsync(docs, { chunkSize });
    return new LexicalIndex(mini);
  }

  /** Restores an index from {@link LexicalIndex.toJSON}'s output. */
  static async fromJSON(json: string): Promise<LexicalIndex> {
    return new LexicalIndex(await MiniSearch.loadJSONAsync<LexicalDoc>(json, INDEX_OPTIONS));
  }

  get size(): number {
    return this.#mini.documentCount;
  }

  toJSON(): string {
    return JSON.stringify(this.#mini);
  }

  /**
   * The index as JSON parts (the first: a head of counts; then slices of about {@link ENTRIES_PER_PART} entries
   * of each of MiniSearch's maps, the term index counted in postings), made a part at a time with a pause between
   * parts, so that the worker goes on answering while a large index is saved: MiniSearch's own `toJSON()` walks
   * the whole index in one call (4.6 s at a million titles: BENCHMARKS.md, "Lexical index: save and restore").
   * {@link LexicalIndex.deserialize} reads them back; together they give what `toJSON()` and `loadJSONAsync` give
   * (test/unit/search/lexical-index.test.ts). Where MiniSearch's fields are not what this reads (another major
   * version), it falls back to `toJSON()` in one part.
   */
  async serialize(entriesPerPart = ENTRIES_PER_PART): Promise<string[]> {
    const m = internals(this.#mini);
    if (!m) return [JSON.stringify({ whole: this.#mini.toJSON() })];
    const head = {
      documentCount: m._documentCount,
      nextId: m._nextId,
      fieldIds: m._fieldIds,
      averageFieldLength: m._avgFieldLength,
      dirtCount: m._dirtCount,
      serializationVersion: 2,
    };
    const parts = [JSON.stringify({ head })];
    const sources: Record<MapSection, Iterable<[unknown, unknown]>> = {
      documentIds: m._documentIds,
      fieldLength: m._fieldLength,
      storedFields: m._storedFields,
    };
    for (const section of MAP_SECTIONS) {
      let slice: unknown[] = [];
      for (const entry of sources[section]) {
        slice.push(entry);
        if (slice.length >= entriesPerPart) {
          parts.push(JSON.stringify({ section, entries: slice }));
          slice = [];
          await pause();
        }
      }
      if (slice.length > 0) parts.push(JSON.stringify({ section, entries: slice }));
    }
    // The index as [term, fieldId, { docId: freq }] triples, a part holding about `entriesPerPart` postings: a
    // term on every product (a brand, "new") has a posting per item, and is split over parts.
    let slice: unknown[] = [];
    let postings = 0;
    const flush = async (): Promise<void> => {
      parts.push(JSON.stringify({ section: 'index', entries: slice }));
      slice = [];
      postings = 0;
      await pause();
    };
    for (const [term, fields] of m._index) {
      for (const [fieldId, freqs] of fields) {
        let chunk: Record<number, number> = {};
        let n = 0;
        for (const [doc, freq] of freqs) {
          chunk[doc] = freq;
          if (++n + postings >= entriesPerPart) {
            slice.push([term, fieldId, chunk]);
            await flush();
            chunk = {};
            n = 0;
          }
        }
        if (n > 0) {
          slice.push([term, fieldId, chunk]);
          postings += n;
        }
      }
    }
    if (slice.length > 0) await flush();
    return parts;
  }

  /** Restores an index from {@link LexicalIndex.serialize}'s parts, parsing a part at a time. */
  static async deserialize(parts: readonly string[]): Promise<LexicalIndex> {
    if (parts.length === 0) throw new Error('no parts');
    const first = JSON.parse(parts[0]!) as { head?: Record<string, unknown>; whole?: AsPlainObject };
    if (first.whole) return new LexicalIndex(await MiniSearch.loadJSAsync<LexicalDoc>(first.whole, INDEX_OPTIONS));
    if (!first.head) throw new Error('no head');
    const maps: Record<MapSection, Record<string, unknown>> = { documentIds: {}, fieldLength: {}, storedFields: {} };
    const index: [string, Record<string, Record<string, number>>][] = [];
    const terms = new Map<string, Record<string, Record<string, number>>>();
    for (let i = 1; i < parts.length; i++) {
      await pause();
      const { section, entries } = JSON.parse(parts[i]!) as { section: Section; entries: unknown[][] };
      if (!SECTIONS.includes(section) || !Array.isArray(entries)) throw new Error(`part ${i} is malformed`);
      if (section !== 'index') {
        const target = maps[section];
        for (const [key, value] of entries) target[key as string] = value;
        continue;
      }
      for (const [term, fieldId, chunk] of entries as [string, number, Record<string, number>][]) {
        if (typeof term !== 'string' || typeof chunk !== 'object' || chunk === null) throw new Error(`part ${i} is malformed`);
        let fields = terms.get(term);
        if (!fields) {
          fields = {};
          terms.set(term, fields);
          index.push([term, fields]);
        }
        const have = fields[fieldId];
        if (have) Object.assign(have, chunk);
        else fields[fieldId] = chunk;
      }
    }
    const js = { ...first.head, ...maps, index } as unknown as AsPlainObject;
    return new LexicalIndex(await MiniSearch.loadJSAsync<LexicalDoc>(js, INDEX_OPTIONS));
  }

  add(docs: readonly LexicalDoc[]): void {
    this.#mini.addAll(docs);
  }

  /** The query's terms as the index sees them (after tokenizing and {@link processTerm}). */
  terms(query: string): string[] {
    const out: string[] = [];
    for (const raw of MiniSearch.getDefault('tokenize')(query, '') as string[]) {
      const t = processTerm(raw);
      if (t) out.push(t);
    }
    return out;
  }

  /** Up to `limit` rows, best first, for the query's terms (from {@link LexicalIndex.terms}). */
  search(terms: readonly string[], limit: number): LexicalHit[] {
    if (terms.length === 0) return [];
    const hits = this.#mini.search(terms.join(' '), SEARCH_OPTIONS);
    const out: LexicalHit[] = [];
    for (const h of hits) {
      if (out.length >= limit) break;
      out.push({ row: h.id as number, score: h.score, terms: h.terms });
    }
    return out;
  }
}

/** MiniSearch's fields, where they have the shape {@link LexicalIndex.serialize} reads; else `undefined`. */
function internals(mini: MiniSearch<LexicalDoc>): MiniInternals | undefined {
  const m = mini as unknown as Partial<MiniInternals>;
  const isMap = (x: unknown): boolean => x instanceof Map;
  const ok =
    typeof m._documentCount === 'number' &&
    typeof m._nextId === 'number' &&
    typeof m._fieldIds === 'object' &&
    Array.isArray(m._avgFieldLength) &&
    isMap(m._documentIds) &&
    isMap(m._fieldLength) &&
    isMap(m._storedFields) &&
    typeof (m._index as { [Symbol.iterator]?: unknown } | undefined)?.[Symbol.iterator] === 'function';
  return ok ? (m as MiniInternals) : undefined;
}
