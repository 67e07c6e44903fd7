/**
 * The bench's HTTP servers: server/static-server.ts over the built bench app, plain (one WASM thread) and
 * cross-origin isolated (WASM threads). Every file is served with `Cache-Control: max-age=3600` instead of the
 * test server's `no-cache`, so a second visit in the same browser profile loads from the HTTP cache (the
 * "assets cached" case), as a storefront's long-cached static files would.
 */
import type { ServerResponse } from 'node:http';
import { startStaticServer, type Route, type StaticServer } from '../server/static-server';

export const CACHE_CONTROL = 'max-age=3600';

/** Rewrites the static server's Cache-Control on this response, then lets it serve the file. */
const longCache: Route = (_req, res) => {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  (res as { writeHead: unknown }).writeHead = (status: number, headers?: Record<string, unknown>) =>
    status === 200 && headers && 'Cache-Control' in headers ? writeHead(status, { ...headers, 'Cache-Control': CACHE_CONTROL }) : writeHead(status, headers);
  return false;
};

export function startBenchServer(root: string, isolated: boolean): Promise<StaticServer> {
  return startStaticServer({ root, isolated, routes: [longCache] });
}
