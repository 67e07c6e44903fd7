/**
 * Downloads one model file with progress, a clear error for 404s and HTML fallbacks, and a sha256 check.
 */
import { LocalshelfError } from '../../src/errors';

export interface FetchFileOptions {
  /** Expected sha256 (hex); a mismatch is `MODEL_CORRUPT`. */
  sha256?: string;
  signal?: AbortSignal;
  onProgress?: (loaded: number, total: number | undefined) => void;
  fetch?: typeof fetch;
}

/** Downloads `url` into memory. @throws LocalshelfError `MODEL_FETCH`, `MODEL_CORRUPT`, `ABORTED` */
export async function fetchFile(url: string, options: FetchFileOptions = {}): Promise<Uint8Array> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, { signal: options.signal, credentials: 'same-origin' });
  } catch (cause) {
    if (options.signal?.aborted) throw new LocalshelfError('ABORTED', `download of ${url} was aborted`, { cause });
    throw new LocalshelfError('MODEL_FETCH', `could not fetch ${url}: ${(cause as Error)?.message ?? cause}`, { cause });
  }
  if (!response.ok) throw new LocalshelfError('MODEL_FETCH', `could not fetch ${url}: HTTP ${response.status}`);
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('text/html')) {
    throw new LocalshelfError('MODEL_FETCH', `${url} answered with an HTML page, not a model file (an SPA fallback for a missing file?)`);
  }
  const total = Number(response.headers.get('content-length')) || undefined;
  const bytes = await readAll(response, url, total, options);
  if (options.sha256) {
    const digest = await sha256Hex(bytes);
    if (digest !== options.sha256.toLowerCase()) {
      throw new LocalshelfError('MODEL_CORRUPT', `${url} does not match its sha256 in the manifest (got ${digest})`);
    }
  }
  return bytes;
}

async function readAll(response: Response, url: string, total: number | undefined, options: FetchFileOptions): Promise<Uint8Array> {
  try {
    if (!response.body) {
      const bytes = new Uint8Array(await response.arrayBuffer());
      options.onProgress?.(bytes.byteLength, total);
      return bytes;
    }
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      options.onProgress?.(loaded, total);
    }
    const out = new Uint8Array(loaded);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  } catch (cause) {
    if (options.signal?.aborted) throw new LocalshelfError('ABORTED', `download of ${url} was aborted`, { cause });
    throw new LocalshelfError('MODEL_FETCH', `download of ${url} failed: ${(cause as Error)?.message ?? cause}`, { cause });
  }
}

/** Hex sha256 through WebCrypto. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}
