/** The reference adapter server on 127.0.0.1: ETag/304, Cache-Control per file, CORS, 404s, no escapes. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdapterServer, type AdapterServer } from '../../../server/adapter-server';

let dir: string;
let server: AdapterServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lsad-server-'));
  const repo = join(dir, 'repo');
  for (const sub of ['adapters', 'targets', 'roots']) mkdirSync(join(repo, sub), { recursive: true });
  writeFileSync(join(repo, 'timestamp.json'), '{"t":1}');
  writeFileSync(join(repo, 'root.json'), '{"r":1}');
  writeFileSync(join(repo, 'targets', '1.json'), '{"x":1}');
  writeFileSync(join(repo, 'adapters', 'abc.lsad'), new Uint8Array([1, 2, 3, 4]));
  writeFileSync(join(repo, '.secret'), 'no');
  writeFileSync(join(dir, 'outside.txt'), 'outside');
  symlinkSync(join(dir, 'outside.txt'), join(repo, 'escape.json'));
  server = await startAdapterServer({ root: repo });
});
afterAll(async () => {
  await server.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw request (fetch would normalise `..` away). */
function raw(method: string, path: string, headers: Record<string, string> = {}) {
  const url = new URL(server.url);
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((ok, fail) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('adapter server', () => {
  it('listens on 127.0.0.1 and serves a file with a strong ETag, short cache, CORS and no cookies', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(`${server.url}timestamp.json`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"t":1}');
    expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60, must-revalidate');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toContain('ETag');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('answers 304 to a matching If-None-Match (exact, weak form or in a list), 200 otherwise', async () => {
    const etag = (await fetch(`${server.url}adapters/abc.lsad`)).headers.get('etag')!;
    for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const res = await raw('GET', '/adapters/abc.lsad', { 'If-None-Match': inm });
      expect(res.status, inm).toBe(304);
      expect(res.body).toBe('');
      expect(res.headers.etag).toBe(etag);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    expect((await raw('GET', '/adapters/abc.lsad', { 'If-None-Match': '"other"' })).status).toBe(200);
  });

  it('changes the ETag when the content changes', async () => {
    const path = join(dir, 'repo', 'timestamp.json');
    const before = (await fetch(`${server.url}timestamp.json`)).headers.get('etag');
    writeFileSync(path, '{"t":2}');
    const res = await fetch(`${server.url}timestamp.json`, { headers: { 'If-None-Match': before! } });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).not.toBe(before);
  });

  it('sets immutable caching for versioned and content-addressed files, no-cache for root.json', async () => {
    expect((await fetch(`${server.url}targets/1.json`)).headers.get('cache-control')).toContain('immutable');
    const adapter = await fetch(`${server.url}adapters/abc.lsad`);
    expect(adapter.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Uint8Array(await adapter.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect((await fetch(`${server.url}root.json`)).headers.get('cache-control')).toBe('no-cache');
  });

  it.each([
    '/missing.json', '/targets/2.json', '/targets', '/', '/../outside.txt', '/%2e%2e/outside.txt', '/targets/..%2f..%2foutside.txt',
    '/.secret', '/escape.json', '/adapters%00/abc.lsad',
  ])('404 for %s', async (path) => {
    const res = await raw('GET', path);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('outside');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('answers CORS preflight for If-None-Match, HEAD without a body, 405 for writes', async () => {
    const pre = await raw('OPTIONS', '/timestamp.json', { Origin: 'https://shop.example', 'Access-Control-Request-Headers': 'if-none-match' });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-headers']).toBe('If-None-Match');
    expect(pre.headers['access-control-allow-methods']).toBe('GET, HEAD');
    const head = await raw('HEAD', '/adapters/abc.lsad');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('4');
    expect(head.body).toBe('');
    expect((await raw('POST', '/timestamp.json')).status).toBe(405);
    expect((await raw('PUT', '/adapters/abc.lsad')).status).toBe(405);
  });
});
