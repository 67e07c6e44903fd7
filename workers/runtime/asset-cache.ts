/**
 * An optional offline layer for model files: a `fetch` that goes to the network first, keeps a copy of every
 * good answer in Cache Storage (keyed by URL), and answers from that copy when the network fails. The bytes
 * still go through the caller's checks (sha256 from the manifest), so a stale or damaged copy is rejected.
 *
 * The application shell (HTML, scripts) is the app's own business (its service worker or HTTP caching).
 */

/** Cache Storage name of localshelf's copies. */
export const ASSET_CACHE_NAME = 'localshelf-assets';

type Fetch = typeof fetch;

/** Opens the cache; `undefined` where Cache Storage is missing (insecure context, some private modes). */
export async function openAssetCache(name = ASSET_CACHE_NAME): Promise<Cache | undefined> {
  try {
    return typeof caches === 'undefined' ? undefined : await caches.open(name);
  } catch {
    return undefined;
  }
}

function urlOf(input: RequestInfo | URL): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

/** Both headers name the same version of a file: equal strong-or-weak ETags, or equal Last-Modified and length. */
export function sameVersion(a: Headers, b: Headers): boolean {
  const etag = a.get('etag');
  if (etag) return etag === b.get('etag');
  const modified = a.get('last-modified');
  const length = a.get('content-length');
  return !!modified && !!length && modified === b.get('last-modified') && length === b.get('content-length');
}

/**
 * Wraps `base` (network first, Cache Storage fallback). Only successful GETs that are not HTML pages are kept;
 * an answer whose ETag (or Last-Modified and length) matches the kept copy is not written again.
 * `pending` settles once the copies started so far are written (those whose URL `only` accepts, when given).
 */
export function offlineFetch(base: Fetch, cache: Cache | Promise<Cache | undefined>): Fetch & { pending(only?: (url: string) => boolean): Promise<void> } {
  const writes = new Map<Promise<unknown>, string>();
  // The cache may still be opening (a first visit creates it on disk): the network request does not wait for it.
  const opened = Promise.resolve(cache).catch(() => undefined);
  // (after a write of the same URL still under way, so a file fetched twice is written once)
  const match = (url: string): Promise<Response | undefined> => {
    const inFlight = [...writes].filter(([, u]) => u === url).map(([w]) => w);
    return Promise.all([opened, ...inFlight]).then(([c]) => (c as Cache | undefined)?.match(url)).catch(() => undefined);
  };
  const wrapped = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = urlOf(input);
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    // The kept copy is looked up while the network answers: both are needed, neither waits for the other.
    const keptCopy = method === 'GET' ? match(url) : Promise.resolve(undefined);
    let response: Response;
    try {
      response = await base(input, init);
    } catch (error) {
      if (init?.signal?.aborted || method !== 'GET') throw error;
      const copy = await keptCopy;
      if (copy) return copy;
      throw error;
    }
    const type = response.headers.get('content-type') ?? '';
    if (method === 'GET' && response.status === 200 && !type.includes('text/html')) {
      // The body is teed now (the caller reads it at once); the copy is written once the cache is open, unless a
      // copy of this very version (same ETag, or same Last-Modified and length) is already kept: then the tee's
      // second branch is cancelled (no rewrite of megabytes on every visit).
      const copy = response.clone();
      const write = Promise.all([opened, keptCopy])
        .then(([c, kept]) => (c && !(kept && sameVersion(kept.headers, response.headers)) ? c.put(url, copy) : copy.body?.cancel()))
        .catch(() => undefined);
      writes.set(write, url);
      void write.finally(() => writes.delete(write));
    }
    return response;
  };
  return Object.assign(wrapped as Fetch, {
    pending: async (only?: (url: string) => boolean) => void (await Promise.all([...writes].filter(([, url]) => !only || only(url)).map(([w]) => w))),
  });
}

/**
 * Routes this worker's own `.wasm` downloads (onnxruntime-web's runtime, fetched by its Emscripten loader with
 * the global `fetch`) through {@link offlineFetch}. Call once, at start-up, inside the worker. The result's
 * `pending` settles once the copies of the `.wasm` files started so far are written.
 */
export function cacheWasmDownloads(cache: Cache | Promise<Cache | undefined>): { pending(): Promise<void> } {
  const original = globalThis.fetch.bind(globalThis);
  const cached = offlineFetch(original, cache);
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) =>
    /\.wasm(\?|$)/.test(urlOf(input)) ? cached(input, init) : original(input, init)) as Fetch;
  return { pending: cached.pending };
}
