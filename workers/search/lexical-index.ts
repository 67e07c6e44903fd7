/**
 * Lexical retrieval with MiniSearch (BM25+, prefix and typo-tolerant matching, incremental adds, JSON
 * serialization). Documents are catalog rows: `{ id: row, title, text? }`.
 */
import MiniSearch, { type Options, type SearchOptions as MiniSearchOptions } from 'minisearch';

/** Bump when the index options change, so a persisted index built with the old ones is rebuilt. */
export const LEXICAL_INDEX_VERSION = 1;

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
