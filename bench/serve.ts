/**
 * The bench's HTTP servers: server/static-server.ts over the built bench app, plain (one WASM thread) and
 * cross-origin isolated (WASM threads). Every file is served with `Cache-Control: max-age=3600` instead of the
 * test server's `no-cache`, so a second visit in the same browser profile loads from the HTTP cache (the
 * "assets cached" case), as a storefront's long-cached static files would.
 */
import { startStaticServer, type StaticServer } from '../server/static-server';

export const CACHE_CONTROL = 'max-age=3600';

export function startBenchServer(root: string, isolated: boolean): Promise<StaticServer> {
  return startStaticServer({ root, isolated, cacheControl: CACHE_CONTROL });
}
