import { describe, expect, it } from 'vitest';
import { offlineFetch, sameVersion } from '../../../workers/runtime/asset-cache';

/** A Map-backed stand-in for a Cache Storage cache (match and put are all offlineFetch uses). */
function memoryCache(): Cache & { keys(): Promise<string[]> } {
  const map = new Map<string, Response>();
  return {
    match: async (url: string) => map.get(url)?.clone(),
    put: async (url: string, response: Response) => {
      map.set(url, new Response(await response.arrayBuffer(), { status: response.status, headers: response.headers }));
    },
    keys: async () => [...map.keys()],
  } as unknown as Cache & { keys(): Promise<string[]> };
}

describe('offlineFetch', () => {
  it('keeps a copy of good answers and serves it when the network fails', async () => {
    const cache = memoryCache();
    let online = true;
    const net = (async (url: string) => {
      if (!online) throw new TypeError('Failed to fetch');
      if (url.endsWith('missing.onnx')) return new Response('no', { status: 404 });
      if (url.endsWith('spa.onnx')) return new Response('<html>', { headers: { 'content-type': 'text/html' } });
      return new Response(new Uint8Array([1, 2, 3]), { headers: { 'content-type': 'application/octet-stream' } });
    }) as typeof fetch;
    const f = offlineFetch(net, cache);
    expect(new Uint8Array(await (await f('https://s/m/model.onnx')).arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    expect((await f('https://s/m/missing.onnx')).status).toBe(404);
    await f('https://s/m/spa.onnx');
    await f.pending();
    expect(await cache.keys()).toEqual(['https://s/m/model.onnx']); // no 404s, no HTML pages
    online = false;
    expect(new Uint8Array(await (await f('https://s/m/model.onnx')).arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    await expect(f('https://s/m/other.onnx')).rejects.toThrow('Failed to fetch');
  });

  it('does not answer an aborted request from the cache', async () => {
    const cache = memoryCache();
    await cache.put('https://s/a', new Response('x'));
    const net = (async () => {
      throw new DOMException('aborted', 'AbortError');
    }) as typeof fetch;
    const controller = new AbortController();
    controller.abort();
    await expect(offlineFetch(net, cache)('https://s/a', { signal: controller.signal })).rejects.toThrow('aborted');
  });

  it('pending() settles only once the copies started so far are written', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const written: string[] = [];
    const cache = {
      match: async () => undefined,
      put: async (url: string, response: Response) => {
        await response.arrayBuffer();
        await gate;
        written.push(url);
      },
    } as unknown as Cache;
    const f = offlineFetch((async () => new Response('bytes')) as unknown as typeof fetch, cache);
    await (await f('https://s/m/items.lsim')).arrayBuffer();
    let settled = false;
    const pending = f.pending().then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
    release();
    await pending;
    expect(written).toEqual(['https://s/m/items.lsim']);
  });

  it('does not write the same version again (ETag, or Last-Modified and length), and does write a new one', async () => {
    const cache = memoryCache();
    let puts = 0;
    const put = cache.put.bind(cache);
    cache.put = async (url: RequestInfo | URL, response: Response) => {
      puts++;
      return put(url, response);
    };
    let etag = 'W/"1"';
    const net = (async () => new Response('v', { headers: { etag, 'content-length': '1' } })) as unknown as typeof fetch;
    const f = offlineFetch(net, cache);
    for (let i = 0; i < 3; i++) await (await f('https://s/m/items.lsim')).arrayBuffer();
    await f.pending();
    expect(puts).toBe(1);
    etag = 'W/"2"';
    await (await f('https://s/m/items.lsim')).arrayBuffer();
    await f.pending();
    expect(puts).toBe(2);
  });

  it('a cache still opening does not hold the download: the copy is written once it opens; one that never opens, none', async () => {
    const cache = memoryCache();
    let open!: (c: Cache) => void;
    const opening = new Promise<Cache>((resolve) => (open = resolve));
    const f = offlineFetch((async () => new Response('bytes')) as unknown as typeof fetch, opening);
    expect(await (await f('https://s/m/items.lsim')).text()).toBe('bytes'); // answered while the cache is not open
    let settled = false;
    const pending = f.pending().then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
    open(cache);
    await pending;
    expect(await cache.keys()).toEqual(['https://s/m/items.lsim']);
    const none = offlineFetch((async () => new Response('x')) as unknown as typeof fetch, Promise.reject(new Error('no Cache Storage')));
    expect(await (await none('https://s/m/a')).text()).toBe('x');
    await none.pending(); // settles, writes nothing
  });

  it('sameVersion: ETags decide when present; otherwise Last-Modified and length together', () => {
    const h = (o: Record<string, string>): Headers => new Headers(o);
    expect(sameVersion(h({ etag: '"a"' }), h({ etag: '"a"' }))).toBe(true);
    expect(sameVersion(h({ etag: '"a"' }), h({ etag: '"b"' }))).toBe(false);
    const lm = 'Tue, 24 Nov 2026 04:00:00 GMT';
    expect(sameVersion(h({ 'last-modified': lm, 'content-length': '5' }), h({ 'last-modified': lm, 'content-length': '5' }))).toBe(true);
    expect(sameVersion(h({ 'last-modified': lm, 'content-length': '5' }), h({ 'last-modified': lm, 'content-length': '6' }))).toBe(false);
    expect(sameVersion(h({}), h({}))).toBe(false); // no validators: always write
  });
});
