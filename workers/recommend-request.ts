/**
 * The checks on what `recommend()` is asked, before any work: one place, so every field of a request from the
 * page (which may be anything) gives `INVALID_ARGUMENT` rather than a TypeError deep in the engine.
 */
import { LocalshelfError, describeValue } from '../src/errors';
import type { OmitPolicy, RecommendRequest, RelatedMode, RelatedRequest } from '../src/protocol';

const OMIT_POLICIES: readonly OmitPolicy[] = ['history', 'purchased', 'none'];

export interface CheckedRecommendRequest {
  k: number;
  omit: OmitPolicy;
  exclude: readonly unknown[];
  /** `undefined`: no restriction. */
  allow: readonly unknown[] | undefined;
  feedback: boolean;
  explore: number;
}

const invalid = (message: string): LocalshelfError => new LocalshelfError('INVALID_ARGUMENT', message);

/** `related()`'s request: as `recommend()`'s, with `mode`, and `omit` off by default. @throws LocalshelfError `INVALID_ARGUMENT` */
export function checkRelatedRequest(request: unknown): CheckedRecommendRequest & { mode: RelatedMode } {
  const r = (request ?? {}) as RelatedRequest;
  const checked = checkRecommendRequest(request, 'none');
  const mode = r.mode ?? 'also';
  if (mode !== 'also' && mode !== 'similar') throw invalid(`mode must be 'also' or 'similar'; got ${describeValue(mode)}`);
  return { ...checked, mode };
}

/** @throws LocalshelfError `INVALID_ARGUMENT` */
export function checkRecommendRequest(request: unknown, defaultOmit: OmitPolicy = 'history'): CheckedRecommendRequest {
  if (request === undefined || request === null) request = {};
  if (typeof request !== 'object' || Array.isArray(request)) throw invalid('recommend() takes an options object');
  const r = request as RecommendRequest & { includePurchased?: unknown };
  const k = r.k ?? 10;
  if (typeof k !== 'number' || !Number.isInteger(k) || k <= 0 || k > 1000) throw invalid(`k must be an integer in 1..1000; got ${describeValue(k)}`);
  if ('includePurchased' in r) {
    throw invalid("includePurchased was replaced by omit: use omit: 'none' to include bought items, omit: 'purchased' for the 0.1 default");
  }
  const omit = r.omit ?? defaultOmit;
  if (!(OMIT_POLICIES as readonly unknown[]).includes(omit)) throw invalid(`omit must be one of ${OMIT_POLICIES.join(', ')}; got ${describeValue(omit)}`);
  const exclude = r.exclude ?? [];
  if (!Array.isArray(exclude)) throw invalid('exclude must be an array of item ids');
  const filter: unknown = r.filter;
  if (filter !== undefined && (typeof filter !== 'object' || filter === null || Array.isArray(filter))) throw invalid('filter must be an object');
  const allow = (filter as { ids?: unknown } | undefined)?.ids;
  if (allow !== undefined && !Array.isArray(allow)) throw invalid('filter.ids must be an array of item ids');
  const feedback = (r as RecommendRequest).feedback ?? true;
  if (typeof feedback !== 'boolean') throw invalid('feedback must be a boolean');
  const explore = (r as RecommendRequest).explore ?? 0;
  if (typeof explore !== 'number' || !Number.isInteger(explore) || explore < 0 || explore > k) throw invalid(`explore must be an integer in 0..k; got ${describeValue(explore)}`);
  return { k, omit, exclude, allow, feedback, explore };
}
