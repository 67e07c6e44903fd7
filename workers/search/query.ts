/**
 * Query and request checks: what `search()` accepts, and the normal form every retriever sees.
 */
import { LocalshelfError, describeValue } from '../../src/errors';
import { MAX_QUERY_LENGTH, type SearchRequest } from '../../src/search';

/** Most query terms kept (the rest are dropped: more terms add cost, not precision). */
export const MAX_QUERY_TERMS = 32;

export interface CheckedRequest {
  query: string;
  k: number;
  personalize: boolean;
  filterIds: readonly string[] | undefined;
}

// C0/C1 controls, zero-width and bidi formatting characters: never part of a product query.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g;

/**
 * Normal form of a query: NFKC, invisible characters removed, whitespace collapsed, trimmed.
 * @throws LocalshelfError `INVALID_QUERY` when the query is not a string or longer than {@link MAX_QUERY_LENGTH}
 */
export function normalizeQuery(query: unknown): string {
  if (typeof query !== 'string') throw new LocalshelfError('INVALID_QUERY', `the query must be a string; got ${query === null ? 'null' : typeof query}`);
  if (query.length > MAX_QUERY_LENGTH) {
    throw new LocalshelfError('INVALID_QUERY', `the query is ${query.length} characters long; at most ${MAX_QUERY_LENGTH} are accepted`);
  }
  return query.normalize('NFKC').replace(INVISIBLE, ' ').replace(/\s+/g, ' ').trim();
}

/** Checks `search(query, request)` arguments. @throws LocalshelfError `INVALID_QUERY`, `INVALID_ARGUMENT` */
export function checkSearchRequest(query: unknown, request: SearchRequest | undefined): CheckedRequest {
  const q = normalizeQuery(query);
  const r = request ?? {};
  if (typeof r !== 'object' || r === null) throw new LocalshelfError('INVALID_ARGUMENT', 'search() options must be an object');
  const k = r.k ?? 10;
  if (!Number.isInteger(k) || k <= 0 || k > 100) throw new LocalshelfError('INVALID_ARGUMENT', `k must be an integer in 1..100; got ${describeValue(k)}`);
  const personalize = r.personalize ?? true;
  if (typeof personalize !== 'boolean') throw new LocalshelfError('INVALID_ARGUMENT', 'personalize must be a boolean');
  const ids = r.filter?.ids;
  if (ids !== undefined && (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))) {
    throw new LocalshelfError('INVALID_ARGUMENT', 'filter.ids must be an array of item ids');
  }
  return { query: q, k, personalize, filterIds: ids };
}
