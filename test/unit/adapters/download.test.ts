/** `downloadBytes`: privacy of the request, conditional GET, size caps on streams, aborts, typed errors. */
import { describe, expect, it } from 'vitest';
import { isLocalshelfError } from '../../../src/errors';
import { rejectionCode } from '../rejection-code';
import { downloadBytes, type FetchLike } from '../../../workers/adapters/download';
import { fakeFetch, type ServedFile } from './channel-fixture';

const BASE = 'https://cdn.example/';
const data = Uint8Array.from({ length: 10_000 }, (_, i) => i % 251);

function server(files: Record<string, ServedFile>, chunk?: number) {
  return fakeFetch(() => new Map(Object.entries(files)), BASE, chunk === undefined ? {} : { chunk });
}

const code = rejectionCode;

describe('downloadBytes', () => {
  it('returns the body and ETag, sending no credentials, no referrer and no custom headers', async () => {
    const s = server({ 'a.bin': { bytes: data } });
    const res = await downloadBytes(`${BASE}a.bin`, { maxBytes: data.length, fetch: s.fetch });
    expect(res.status).toBe('ok');
    if (res.status !== 'ok') return;
    expect(res.bytes).toEqual(data);
    expect(res.etag).toMatch(/^"[0-9a-f]{64}"$/);
    const init = s.log.requests[0]!.init;
    expect(init).toMatchObject({ method: 'GET', credentials: 'omit', referrerPolicy: 'no-referrer', mode: 'cors', headers: {} });
    expect(init.body).toBeUndefined();
  });

  it('sends If-None-Match and reports a 304 as not-modified', async () => {
    const s = server({ 'a.bin': { bytes: data } });
    const first = await downloadBytes(`${BASE}a.bin`, { maxBytes: data.length, fetch: s.fetch });
    const etag = first.status === 'ok' ? first.etag! : '';
    const again = await downloadBytes(`${BASE}a.bin`, { maxBytes: data.length, fetch: s.fetch, etag });
    expect(again).toEqual({ status: 'not-modified', etag });
    expect(s.log.requests[1]!.init.headers).toEqual({ 'If-None-Match': etag });
  });

  it('stops reading an endless stream just past the limit and cancels it', async () => {
    const s = server({ 'x': { endless: true } }, 1024);
    expect(await code(downloadBytes(`${BASE}x`, { maxBytes: 50_000, fetch: s.fetch }))).toBe('ADAPTER_TOO_LARGE');
    expect(s.log.cancelled).toBe(1);
    expect(s.log.bytesSent).toBeLessThan(50_000 + 4 * 1024);
  });

  it('rejects a body longer than the limit with or without Content-Length', async () => {
    const s = server({ 'a': { bytes: data }, 'b': { bytes: data, hideLength: true } });
    expect(await code(downloadBytes(`${BASE}a`, { maxBytes: 9_999, fetch: s.fetch }))).toBe('ADAPTER_TOO_LARGE');
    expect(s.log.bytesSent).toBeLessThan(4096 * 2); // refused on the header, before the body
    expect(await code(downloadBytes(`${BASE}b`, { maxBytes: 9_999, fetch: s.fetch }))).toBe('ADAPTER_TOO_LARGE');
  });

  it('turns HTTP errors and network failures into NETWORK, a 404 into not-found when asked', async () => {
    const s = server({});
    expect(await code(downloadBytes(`${BASE}missing`, { maxBytes: 10, fetch: s.fetch }))).toBe('NETWORK');
    await expect(downloadBytes(`${BASE}missing`, { maxBytes: 10, fetch: s.fetch, notFoundOk: true })).resolves.toEqual({ status: 'not-found' });
    const failing: FetchLike = () => Promise.reject(new TypeError('fetch failed'));
    const err = await downloadBytes(`${BASE}a`, { maxBytes: 10, fetch: failing }).catch((e: unknown) => e);
    expect(isLocalshelfError(err, 'NETWORK')).toBe(true);
    expect((err as Error).cause).toBeInstanceOf(TypeError);
    const teapot: FetchLike = async () => new Response('no', { status: 500 });
    expect(await code(downloadBytes(`${BASE}a`, { maxBytes: 10, fetch: teapot }))).toBe('NETWORK');
  });

  it('aborts mid-stream with ABORTED carrying the reason, and never starts when already aborted', async () => {
    const s = server({ 'x': { endless: true } }, 1024);
    const controller = new AbortController();
    const reason = new Error('page hidden');
    const fetchThenAbort: FetchLike = async (url, init) => {
      const res = await s.fetch(url, init);
      setTimeout(() => controller.abort(reason), 5);
      return res;
    };
    const err = await downloadBytes(`${BASE}x`, { maxBytes: 1e12, fetch: fetchThenAbort, signal: controller.signal }).catch((e: unknown) => e);
    expect(isLocalshelfError(err, 'ABORTED')).toBe(true);
    expect((err as Error).cause).toBe(reason);
    expect(s.log.cancelled).toBe(1);
    const before = s.log.requests.length;
    expect(await code(downloadBytes(`${BASE}x`, { maxBytes: 10, fetch: s.fetch, signal: controller.signal }))).toBe('ABORTED');
    expect(s.log.requests.length).toBe(before);
  });
});
