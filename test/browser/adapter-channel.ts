/**
 * A real update channel for the browser tests: keys from tools/lib/keys, a repository written by the publisher's
 * own library (tools/lib/repository), the reference server (server/adapter-server.ts) on 127.0.0.1, and in front
 * of it a pass-through proxy that keeps a request log (method, path, headers) so tests can count downloads and
 * audit what the page sent.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAdapterServer } from '../../server/adapter-server';
import { generateSigningKey } from '../../tools/lib/keys';
import { publishAdapter, publishRoot } from '../../tools/lib/repository';
import { buildRoot, isoSeconds } from '../../tools/lib/sign-metadata';
import { encodeAdapter, type AdapterExpectations, type EncodeAdapterInput } from '../../workers/adapters/format';

const DAY = 86_400_000;

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  status?: number;
}

export interface TestChannel {
  /** Base URL the page uses (the logging proxy in front of the real server). */
  readonly url: string;
  /** The pinned root: `root.json` as published. */
  readonly rootJson: string;
  readonly repo: string;
  readonly log: LoggedRequest[];
  /** Signs and publishes an adapter; returns its path in the channel. */
  publish(input: EncodeAdapterInput): Promise<string>;
  /** GETs of adapter files (what a download costs the server). */
  adapterGets(): LoggedRequest[];
  read(path: string): Buffer;
  write(path: string, bytes: Uint8Array): void;
  close(): Promise<void>;
}

export async function openChannel(model: AdapterExpectations & { baseModel: string }): Promise<TestChannel> {
  const repo = mkdtempSync(join(tmpdir(), 'localshelf-channel-'));
  const [root, targets, timestamp] = [generateSigningKey(), generateSigningKey(), generateSigningKey()];
  const roles = { root: { keys: [root], threshold: 1 }, targets: { keys: [targets], threshold: 1 }, timestamp: { keys: [timestamp], threshold: 1 } };
  await publishRoot(repo, buildRoot(1, isoSeconds(Date.now() + 365 * DAY), roles), [root]);
  const server = await startAdapterServer({ root: repo, host: '127.0.0.1' });
  const upstream = new URL(server.url);
  const log: LoggedRequest[] = [];
  const proxy = createServer((req, res) => {
    const entry: LoggedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers };
    log.push(entry);
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        entry.status = up.statusCode;
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`;
  return {
    url,
    rootJson: readFileSync(join(repo, 'root.json'), 'utf8'),
    repo,
    log,
    async publish(input) {
      const result = await publishAdapter(repo, {
        adapter: encodeAdapter(input, model),
        model,
        targetsKeys: [targets],
        timestampKeys: [timestamp],
        targetsTtlMs: 30 * DAY,
        timestampTtlMs: DAY,
      });
      return result.path;
    },
    adapterGets: () => log.filter((r) => r.method === 'GET' && r.path.startsWith('/adapters/')),
    read: (path) => readFileSync(join(repo, path)),
    write: (path, bytes) => writeFileSync(join(repo, path), bytes),
    async close() {
      proxy.closeAllConnections();
      await new Promise<void>((ok) => proxy.close(() => ok()));
      await server.close();
      rmSync(repo, { recursive: true, force: true });
    },
  };
}
