/**
 * Reference server for an update-channel repository (tools/lib/repository.ts): a plain Node `http` static file
 * server with strong ETags, 304 on `If-None-Match`, cache headers suited to each file, CORS for GET and no
 * cookies. Any static host or CDN that sends the same headers can replace it (docs/update-channel.md, "Serving").
 *
 *   const server = await startAdapterServer({ root: 'channel/', port: 8787 });
 *   // server.url === 'http://127.0.0.1:8787/'
 *   await server.close();
 */
import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';

/** Options of {@link startAdapterServer}. */
export interface AdapterServerOptions {
  /** Directory to serve (the channel repository). */
  readonly root: string;
  /** Port; `0` picks a free one. @defaultValue `0` */
  readonly port?: number;
  /** Interface to listen on. @defaultValue `'127.0.0.1'` */
  readonly host?: string;
  /** Max-age of `timestamp.json`, seconds: keep it well under the timestamp's lifetime. @defaultValue `60` */
  readonly timestampMaxAgeS?: number;
}

/** A running server. */
export interface AdapterServer {
  /** Base URL, ending in `/`: the channel's `baseUrl`. */
  readonly url: string;
  /** Stops listening and closes open connections. Idempotent. */
  close(): Promise<void>;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
const CONTENT_TYPES: Record<string, string> = { '.json': 'application/json', '.lsad': 'application/octet-stream' };

/** Cache-Control for a repository path: immutable for content-addressed and versioned files, short otherwise. */
export function cacheControlFor(path: string, timestampMaxAgeS = 60): string {
  if (/^(adapters|targets|roots)\//.test(path)) return IMMUTABLE;
  if (path === 'timestamp.json') return `public, max-age=${timestampMaxAgeS}, must-revalidate`;
  return 'no-cache';
}

/** Starts serving `root` and resolves once listening. */
export async function startAdapterServer(options: AdapterServerOptions): Promise<AdapterServer> {
  const root = await realpath(options.root);
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    handle(root, req, res, options.timestampMaxAgeS ?? 60).catch(() => {
      if (!res.headersSent) send(res, 500, { 'Content-Type': 'text/plain' }, 'internal error');
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    close() {
      closing ??= new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function handle(root: string, req: IncomingMessage, res: ServerResponse, tsMaxAge: number): Promise<void> {
  const cors = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': 'ETag, Content-Length',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'X-Content-Type-Options': 'nosniff',
  };
  if (req.method === 'OPTIONS') {
    send(res, 204, {
      ...cors,
      'Access-Control-Allow-Methods': 'GET, HEAD',
      'Access-Control-Allow-Headers': 'If-None-Match',
      'Access-Control-Max-Age': '86400',
    });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, { ...cors, Allow: 'GET, HEAD, OPTIONS', 'Content-Type': 'text/plain' }, 'method not allowed');
    return;
  }
  const path = safePath(req.url ?? '/');
  const file = path === null ? null : await readServable(root, path);
  if (path === null || file === null) {
    send(res, 404, { ...cors, 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache' }, 'not found', req.method);
    return;
  }
  const etag = `"${createHash('sha256').update(file).digest('base64url')}"`;
  const headers = { ...cors, ETag: etag, 'Cache-Control': cacheControlFor(path, tsMaxAge) };
  if (matchesIfNoneMatch(req.headers['if-none-match'], etag)) {
    send(res, 304, headers);
    return;
  }
  const type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
  send(res, 200, { ...headers, 'Content-Type': type, 'Content-Length': String(file.length) }, file, req.method);
}

/** The decoded request path relative to the root, or `null` for anything that could escape it or is hidden. */
function safePath(url: string): string | null {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url, 'http://x').pathname);
  } catch {
    return null;
  }
  const rel = pathname.replace(/^\/+/, '');
  if (rel === '' || rel.includes('\0') || rel.includes('\\')) return null;
  if (rel.split('/').some((seg) => seg === '' || seg.startsWith('.') || seg.includes('.tmp-'))) return null;
  return rel;
}

async function readServable(root: string, rel: string): Promise<Buffer | null> {
  try {
    const real = await realpath(resolve(root, rel));
    if (!real.startsWith(root + sep)) return null;
    if (!(await stat(real)).isFile()) return null;
    return await readFile(real);
  } catch {
    return null;
  }
}

function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string): string => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === etag);
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body?: string | Buffer, method?: string): void {
  res.writeHead(status, headers);
  res.end(method === 'HEAD' ? undefined : body);
}
