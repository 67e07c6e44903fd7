/**
 * Public types of search and run-time catalog additions, and the one-time resolution of the search options.
 * The work happens in the worker (`workers/search/`); this file stays small because it ships on the main thread.
 */
import { LocalshelfError, describeValue } from './errors';
import type { CatalogItem, Rules } from './protocol';

/** Which ONNX file of the text model folder runs (`onnx/model_quantized.onnx` for `'q8'`; names as transformers.js exports them). */
export const TEXT_DTYPES = ['q8', 'fp32', 'fp16', 'int8', 'uint8', 'q4'] as const;
export type TextDtype = (typeof TEXT_DTYPES)[number];

/** Search options of `createRecommender({ search })`. */
export interface SearchOptions {
  /**
   * The text encoder: a model folder in the Hugging Face layout with a WordPiece tokenizer (`tokenizer.json`,
   * optional `tokenizer_config.json`, `onnx/model_quantized.onnx`), as a URL (absolute or relative to the page), or a Hugging Face style model id
   * (`'Xenova/all-MiniLM-L6-v2'`) served under {@link SearchOptions.textModelPath}. Never fetched from a hub.
   * `false` turns the encoder off: search is lexical only and `catalog.add()` rejects.
   * @defaultValue the `text/` folder named by the manifest (`manifest.files.text`), resolved against it
   */
  textModel?: string | URL | false;
  /** Where model ids (`'org/name'`) are looked up: the folder is `<textModelPath><id>/`. @defaultValue `'/models/'` */
  textModelPath?: string | URL;
  /** Which ONNX weights of the text model run. @defaultValue `'q8'` */
  textDtype?: TextDtype;
  /**
   * Catalog text vectors precomputed at build time with the text model (an `items.lsim`-format file, one row per
   * catalog.json item, in order; `npm run search-vectors`). Needed for semantic search with a text model whose
   * vectors have another size than the item matrix (e.g. a 384-d MiniLM); without it such a model gives lexical
   * search only. @defaultValue none: the item vectors are the semantic index
   */
  textVectors?: string | URL;
  /**
   * Keep model files in Cache Storage (keyed by URL, checked against the manifest's sha256) and use them when
   * the network fails, so search and recommendations work offline once loaded.
   * @defaultValue `true`
   */
  offlineCache?: boolean;
  /**
   * Build search (restore the lexical index, start the text encoder) before `createRecommender()` resolves.
   * By default it is built in the worker right after the first recommendation (or at the first `search()` or
   * `catalog.add()`, or shortly after start-up when neither comes), so it never delays the first recommendation;
   * its files are downloaded, checked and cached during start-up (with the library's own history encoder, start-up
   * does not wait for them; the build does). `await recommender.searchReady()`
   * waits for it. With `eager: true` a search failure (e.g. a corrupt text model) fails `createRecommender()`;
   * otherwise it rejects `searchReady()` and `search()`, and recommendations go on.
   * @defaultValue `false`
   */
  eager?: boolean;
}

/** {@link SearchOptions} with defaults applied and URLs made absolute. */
export interface ResolvedSearchOptions {
  /** Folder URL of the text model (ends with `/`), or `false`; `undefined` = the manifest's own `text/`. */
  textModel: string | false | undefined;
  textDtype: TextDtype;
  /** Absolute URL of the precomputed catalog text vectors, if any. */
  textVectors?: string;
  offlineCache: boolean;
  eager: boolean;
}

/** What `search()` takes besides the query. */
export interface SearchRequest {
  /** How many results. @defaultValue `10` */
  k?: number;
  /** Re-rank with the shopper's history (when there is any). @defaultValue `true` */
  personalize?: boolean;
  /** Restrict results to these item ids (e.g. what is in stock). */
  filter?: { ids?: readonly string[] };
  /** Attribute filters, as in `recommend()` (`rules.where` only; boosts, pins and diversity are `INVALID_ARGUMENT` here). */
  rules?: Pick<Rules, 'where'>;
}

/** Why a result is there. Every field is present; zero means "this signal did not contribute". */
export interface SearchReasons {
  /** Catalog terms the query matched (after lower-casing; prefix and typo matches show the catalog's term). */
  matchedTerms: string[];
  /** BM25 score of the lexical match (0 when the item came from semantic retrieval only). */
  lexical: number;
  /** Cosine similarity of the query's text vector and the item's vector (0 without a text encoder). */
  semantic: number;
  /** What the shopper's history added to (or took from) the score; 0 when not personalized. */
  personal: number;
}

export interface SearchHit extends CatalogItem {
  /** Final score: relevance plus personal boost. Results are sorted by it, best first. */
  score: number;
  /** Relevance before personalization (weighted lexical + semantic, each scaled to 0..1 over the candidates). */
  relevance: number;
  why: SearchReasons;
  /** True for an item added at run time with `catalog.add()`. */
  added?: boolean;
}

export interface SearchResult {
  items: SearchHit[];
  /** The query as searched: trimmed, whitespace collapsed. */
  query: string;
  /** True when the shopper's history re-ranked the results. */
  personalized: boolean;
  /** History events that fed the user vector (0 when not personalized). */
  historyUsed: number;
  /** How many candidates each retriever produced before fusion. */
  candidates: { lexical: number; semantic: number };
  /** Time spent in the worker, ms. */
  elapsedMs: number;
}

/**
 * A product added at run time. Its vector is the text encoder's vector of `title` (the text the catalog's own
 * vectors were trained on); `text` is searched lexically too.
 */
export interface NewItem {
  /** Catalog id, unique (1..256 characters). */
  id: string;
  title: string;
  /** More searchable text (brand, category, description). */
  text?: string;
}

export interface AddItemsResult {
  /** How many items were added. */
  added: number;
  /** Catalog size after the call. */
  catalogSize: number;
  elapsedMs: number;
}

/** Longest accepted query in characters; longer ones reject with `INVALID_QUERY`. */
export const MAX_QUERY_LENGTH = 512;
/** Most items one `catalog.add()` call takes. */
export const MAX_ADD_ITEMS = 5000;

const MODEL_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

function folderUrl(value: string | URL, name: string, base: string): string {
  let href: string;
  try {
    href = new URL(String(value), base).href;
  } catch (cause) {
    throw new LocalshelfError('INVALID_ARGUMENT', `${name} is not a valid URL: ${describeValue(value)}`, { cause });
  }
  return href.endsWith('/') ? href : `${href}/`;
}

/** Applies defaults once and validates; throws `INVALID_ARGUMENT`. */
export function resolveSearchOptions(options: SearchOptions | undefined, base: string): ResolvedSearchOptions {
  const o = options ?? {};
  if (typeof o !== 'object' || o === null) throw new LocalshelfError('INVALID_ARGUMENT', 'options.search must be an object');
  const textDtype = o.textDtype ?? 'q8';
  if (!(TEXT_DTYPES as readonly string[]).includes(textDtype)) {
    throw new LocalshelfError('INVALID_ARGUMENT', `options.search.textDtype must be one of ${TEXT_DTYPES.join(', ')}; got ${describeValue(textDtype)}`);
  }
  let textModel: ResolvedSearchOptions['textModel'];
  if (o.textModel === false) textModel = false;
  else if (o.textModel !== undefined) {
    if (typeof o.textModel !== 'string' && !(o.textModel instanceof URL)) throw new LocalshelfError('INVALID_ARGUMENT', `options.search.textModel must be a URL, a model id or false; got ${describeValue(o.textModel)}`);
    const raw = String(o.textModel);
    if (MODEL_ID.test(raw)) {
      const root = folderUrl(o.textModelPath ?? '/models/', 'options.search.textModelPath', base);
      textModel = folderUrl(raw, 'options.search.textModel', root);
    } else textModel = folderUrl(raw, 'options.search.textModel', base);
  }
  let textVectors: string | undefined;
  if (o.textVectors !== undefined) {
    try {
      textVectors = new URL(String(o.textVectors), base).href;
    } catch (cause) {
      throw new LocalshelfError('INVALID_ARGUMENT', `options.search.textVectors is not a valid URL: ${describeValue(o.textVectors)}`, { cause });
    }
  }
  if (o.eager !== undefined && typeof o.eager !== 'boolean') throw new LocalshelfError('INVALID_ARGUMENT', 'options.search.eager must be a boolean');
  return { textModel, textDtype, ...(textVectors ? { textVectors } : {}), offlineCache: o.offlineCache ?? true, eager: o.eager ?? false };
}
