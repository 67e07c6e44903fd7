/**
 * Fetching update-channel files: injectable `fetch`, conditional requests, no credentials, no referrer, no user
 * data, and a streaming reader that stops as soon as a response outgrows its limit (endless-data attack).
 *
 * Pure: uses only `fetch`, `Response` and streams (worker, Node 20). Errors: `NETWORK` (unreachable, HTTP
 * status other than 200/304), `ADAPTER_TOO_LARGE` (over `maxBytes`), `ABORTED` (the signal fired; `cause` is its
 * reason).
 */
import { LocalshelfError } from '../../src/errors';

/** The subset of `fetch` used here; inject a stub in tests. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Options of {@link downloadBytes}. */
export interface DownloadOptions {
  /** Hard cap: the download stops and rejects once the body exceeds this many bytes. */
  readonly maxBytes: number;
  /** ETag of the copy already held: sent as `If-None-Match`; a 304 then yields `{ status: 'not-modified' }`. */
  readonly etag?: string;
  /** @defaultValue `globalThis.fetch` */
  readonly fetch?: FetchLike;
  readonly signal?: AbortSignal;
  /**
   * HTTP cache mode. `'no-cache'` for mutable files (timestamp), `'default'` for content-addressed ones. With
   * `etag` set it is always `'no-store'`: our own `If-None-Match` is then the only validator, so a 304 reaches us
   * as a 304 instead of being swapped for a stored copy.
   * @defaultValue `'no-cache'`
   */
  readonly cache?: RequestCache;
  /** Resolve `{ status: 'not-found' }` on HTTP 404/410 instead of rejecting. @defaultValue `false` */
  readonly notFoundOk?: boolean;
}

/** Result of {@link downloadBytes}. */
export type DownloadResult =
  | { readonly status: 'not-modified'; readonly etag: string }
  | { readonly status: 'not-found' }
  | { readonly status: 'ok'; readonly bytes: Uint8Array<ArrayBuffer>; readonly etag: string | null };

/**
 * GETs `url` and returns its body, reading at most `maxBytes` (plus one chunk) before giving up. Sends nothing
 * about the user: `credentials: 'omit'`, `referrerPolicy: 'no-referrer'`, no custom headers except
 * `If-None-Match` (which makes a cross-origin request preflighted: the server must allow that header).
 */
export async function downloadBytes(url: string, options: DownloadOptions): Promise<DownloadResult> {
  const { signal, maxBytes } = options;
  throwIfAborted(signal, url);
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const headers: Record<string, string> = {};
  if (options.etag !== undefined) headers['If-None-Match'] = options.etag;
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'GET',
      headers,
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      mode: 'cors',
      cache: options.etag !== undefined ? 'no-store' : (options.cache ?? 'no-cache'),
      redirect: 'follow',
      ...(signal ? { signal } : {}),
    });
  } catch (cause) {
    throwIfAborted(signal, url);
    throw new LocalshelfError('NETWORK', `GET ${url} failed`, { cause });
  }
  if (response.status === 304 && options.etag !== undefined) {
    await discard(response);
    return { status: 'not-modified', etag: response.headers.get('ETag') ?? options.etag };
  }
  if (options.notFoundOk && (response.status === 404 || response.status === 410)) {
    await discard(response);
    return { status: 'not-found' };
  }
  if (response.status !== 200) {
    await discard(response);
    throw new LocalshelfError('NETWORK', `GET ${url}: HTTP ${response.status}`);
  }
  const declared = response.headers.get('Content-Length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
    await discard(response);
    throw new LocalshelfError('ADAPTER_TOO_LARGE', `GET ${url}: Content-Length ${declared} exceeds ${maxBytes}`);
  }
  const bytes = await readCapped(response, maxBytes, url, signal);
  return { status: 'ok', bytes, etag: response.headers.get('ETag') };
}

/** Reads a response body into memory, rejecting as soon as it exceeds `maxBytes` or `signal` fires. */
async function readCapped(response: Response, maxBytes: number, url: string, signal?: AbortSignal): Promise<Uint8Array<ArrayBuffer>> {
  const body = response.body;
  if (!body) {
    const buf = new Uint8Array(await response.arrayBuffer());
    if (buf.length > maxBytes) throw new LocalshelfError('ADAPTER_TOO_LARGE', `GET ${url}: body exceeds ${maxBytes} bytes`);
    return buf;
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const onAbort = (): void => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (cause) {
        throwIfAborted(signal, url);
        throw new LocalshelfError('NETWORK', `GET ${url}: body stream failed`, { cause });
      }
      throwIfAborted(signal, url);
      if (chunk.done) break;
      total += chunk.value.length;
      if (total > maxBytes) {
        await reader.cancel('size limit').catch(() => undefined);
        throw new LocalshelfError('ADAPTER_TOO_LARGE', `GET ${url}: body exceeds ${maxBytes} bytes`);
      }
      chunks.push(chunk.value);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function throwIfAborted(signal: AbortSignal | undefined, url: string): void {
  if (signal?.aborted) throw new LocalshelfError('ABORTED', `GET ${url} was aborted`, { cause: signal.reason });
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
