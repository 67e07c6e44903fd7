/**
 * `localshelf/react`: React hooks over the core entry. React is an optional peer dependency; the core entry
 * (`localshelf`) never imports this file. Every hook cleans up: the recommender is disposed on unmount, and a
 * call whose inputs changed is aborted before the next one starts.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
// The core as the package: an app bundles one copy of it, whichever entry it imports first.
import { createRecommender, type CreateRecommenderOptions, type Recommender, type RecommendRequest, type RecommendResult, type SearchRequest, type SearchResult } from 'localshelf';

/** A value that arrives asynchronously: `data` is the last success, `error` the last failure (a `LocalshelfError`). */
export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
}

/**
 * Creates one recommender for the component's lifetime (again only when `options.model` changes) and disposes it
 * on unmount. The other options are read when it is created.
 */
export function useRecommender(options: CreateRecommenderOptions): AsyncState<Recommender> & { recommender: Recommender | undefined } {
  const [state, setState] = useState<AsyncState<Recommender>>({ data: undefined, error: undefined, loading: true });
  const latest = useRef(options);
  latest.current = options;
  const model = String(options.model);
  useEffect(() => {
    const controller = new AbortController();
    let made: Recommender | undefined;
    setState({ data: undefined, error: undefined, loading: true });
    createRecommender({ ...latest.current, signal: controller.signal }).then(
      (r) => {
        made = r;
        if (controller.signal.aborted) r.dispose();
        else setState({ data: r, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ data: undefined, error, loading: false });
      },
    );
    return () => {
      controller.abort();
      made?.dispose();
    };
  }, [model]);
  return { ...state, recommender: state.data };
}

/** Runs `run` whenever `key` changes (aborting the previous run), and on `refresh()`. */
function useCall<T>(recommender: Recommender | undefined, key: string, run: (r: Recommender, signal: AbortSignal) => Promise<T>): AsyncState<T> & { refresh: () => void } {
  const [state, setState] = useState<AsyncState<T>>({ data: undefined, error: undefined, loading: recommender !== undefined });
  const [tick, setTick] = useState(0);
  const runRef = useRef(run);
  runRef.current = run;
  useEffect(() => {
    if (!recommender) return undefined;
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    runRef.current(recommender, controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, error: undefined, loading: false }),
      (error: unknown) => !controller.signal.aborted && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => controller.abort();
  }, [recommender, key, tick]);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, refresh };
}

/**
 * `recommender.recommend(request)`, again when the request changes (compared as JSON) or on `refresh()` (call it
 * after `track()` to show the shopper's newest interest).
 */
export function useRecommendations(recommender: Recommender | undefined, request: RecommendRequest = {}): AsyncState<RecommendResult> & { refresh: () => void } {
  return useCall(recommender, JSON.stringify(request), (r, signal) => r.recommend(request, { signal }));
}

/** `recommender.search(query, request)`, again when either changes; an empty query gives no call and no results. */
export function useSearch(recommender: Recommender | undefined, query: string, request: SearchRequest = {}): AsyncState<SearchResult> & { refresh: () => void } {
  return useCall(query.trim() ? recommender : undefined, JSON.stringify([query, request]), (r, signal) => r.search(query, request, { signal }));
}
