/**
 * A recording HTTP proxy for the egress audit. The browser context sends every request through it, the module
 * worker's fetches included (Playwright's page events can miss those), so the log is what actually left the
 * browser. Requests for the storefront's own origin are forwarded; anything else (another host, a CONNECT
 * tunnel) is logged and refused, so a leak shows up in the log instead of failing silently.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Absolute URL as the browser asked for it (`host:port` for CONNECT). */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  forwarded: boolean;
}

export interface RecordingProxy {
  url: string;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['proxy-connection', 'proxy-authorization', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

export async function startRecordingProxy(options: { allowOrigin: string }): Promise<RecordingProxy> {
  const allowed = new URL(options.allowOrigin);
  const requests: ProxiedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let target: URL | undefined;
      try {
        target = new URL(req.url ?? '');
      } catch {
        target = undefined;
      }
      const forwarded = target !== undefined && target.protocol === 'http:' && target.host === allowed.host;
      requests.push({ method: req.method ?? 'GET', url: req.url ?? '', headers: req.headers, body: body.toString('utf8'), forwarded });
      if (!forwarded || !target) return void res.writeHead(502, { 'Content-Type': 'text/plain' }).end('egress blocked by the test proxy');
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase())));
      const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: target.pathname + target.search, headers }, (up) => {
        const out = Object.fromEntries(Object.entries(up.headers).filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase())));
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
      });
      upstream.on('error', (e) => res.headersSent ? res.destroy(e) : res.writeHead(502).end(String(e)));
      upstream.end(body);
    });
  });
  server.on('connect', (req, socket) => {
    requests.push({ method: 'CONNECT', url: req.url ?? '', headers: req.headers, body: '', forwarded: false });
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/**
 * Every place a canary could hide in a logged request: URL, header names and values, body; as is (any case),
 * percent-encoded, or in base64 at any byte alignment.
 */
export function findCanaries(log: readonly { method: string; url: string; headers: IncomingHttpHeaders; body: string }[], canaries: readonly string[]): string[] {
  const plain = [...new Set(canaries.flatMap((c) => [c, encodeURIComponent(c)].map((n) => n.toLowerCase())))];
  const base64 = canaries.flatMap(base64Forms);
  const hits: string[] = [];
  for (const r of log) {
    const text = [r.url, ...Object.entries(r.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : (v ?? '')}`), r.body].join('\n');
    const lower = text.toLowerCase();
    for (const n of plain) if (lower.includes(n)) hits.push(`${r.method} ${r.url} carries ${n}`);
    for (const n of base64) if (text.includes(n)) hits.push(`${r.method} ${r.url} carries base64 ${n}`);
  }
  return hits;
}

/** The canary in base64 at each of the three byte alignments, minus the characters its neighbours affect. */
function base64Forms(canary: string): string[] {
  return [0, 1, 2].map((offset) => Buffer.from('\0'.repeat(offset) + canary).toString('base64').replace(/=+$/, '').slice([0, 2, 3][offset], -2));
}
