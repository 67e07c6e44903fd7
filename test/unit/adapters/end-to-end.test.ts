/**
 * Publish → serve → download → verify, end to end in Node: the real CLIs (`tools/keygen.ts`, `tools/publish.ts`,
 * `tools/random-adapter.ts`) write a channel, the real server serves it on 127.0.0.1, and the client code checks
 * it through Node's own `fetch`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLocalshelfError } from '../../../src/errors';
import { startAdapterServer, type AdapterServer } from '../../../server/adapter-server';
import { parseAdapter } from '../../../workers/adapters/format';
import { checkForUpdate, fetchActiveAdapter, initialChannelState, type ChannelState } from '../../../workers/adapters/update';
import { MODEL } from './channel-fixture';

let dir: string;
let server: AdapterServer;
const statuses: number[] = [];

const tool = (script: string, ...args: string[]): string =>
  execFileSync(process.execPath, ['--import', 'tsx', join('tools', script), ...args], { encoding: 'utf8' });
const key = (name: string, ext = 'key') => join(dir, 'keys', `${name}.${ext}.json`);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lsad-e2e-'));
  for (const name of ['root', 'targets-a', 'targets-b', 'timestamp']) tool('keygen.ts', '--out', join(dir, 'keys'), '--name', name);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ numItems: MODEL.numItems, lora: MODEL.lora, sha256: { 'encoder.int8.onnx': MODEL.baseModel } }));
  tool('publish.ts', 'root', '--repo', join(dir, 'repo'), '--root-key', key('root', 'pub'), '--targets-key', key('targets-a', 'pub'),
    '--targets-key', key('targets-b', 'pub'), '--timestamp-key', key('timestamp', 'pub'), '--threshold', 'root=1,targets=2,timestamp=1',
    '--sign-with', key('root'));
  server = await startAdapterServer({ root: join(dir, 'repo') });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function publish(version: number, signers = ['targets-a', 'targets-b']) {
  const file = join(dir, `a${version}.lsad`);
  tool('random-adapter.ts', '--manifest', join(dir, 'manifest.json'), '--version', String(version), '--out', file, '--seed', String(version), '--item-bias');
  const args = ['adapter', '--repo', join(dir, 'repo'), '--manifest', join(dir, 'manifest.json'), '--file', file,
    ...signers.flatMap((s) => ['--targets-sign', key(s)]), '--timestamp-sign', key('timestamp')];
  return { file, run: spawnSync(process.execPath, ['--import', 'tsx', 'tools/publish.ts', ...args], { encoding: 'utf8' }) };
}

const recordingFetch = async (url: string, init: RequestInit): Promise<Response> => {
  const res = await fetch(url, init);
  statuses.push(res.status);
  return res;
};

describe('update channel end to end', () => {
  let state: ChannelState;
  const check = () => checkForUpdate({ baseUrl: server.url, model: MODEL, fetch: recordingFetch }, state);

  it('publishes, serves and verifies adapter v1; the pinned root is the published root.json', async () => {
    expect(publish(1).run.status).toBe(0);
    state = initialChannelState(readFileSync(join(dir, 'repo', 'root.json'), 'utf8'));
    const result = await check();
    expect(result.status).toBe('updated');
    if (result.status !== 'updated') return;
    const local = parseAdapter(readFileSync(join(dir, 'a1.lsad')), MODEL);
    expect(result.adapter.header.adapterVersion).toBe(1);
    for (const [name, t] of local.tensors) expect(result.adapter.tensors.get(name)!.data).toEqual(t.data);
    expect(result.state.versions).toEqual({ timestamp: 1, targets: 1 });
    state = result.state;
  });

  it('revalidates the timestamp with a 304 when nothing changed', async () => {
    statuses.length = 0;
    const result = await check();
    expect(result.status).toBe('current');
    expect(statuses).toEqual([404, 304]); // roots/2.json, timestamp.json
  });

  it('follows a timestamp refresh without downloading anything else', async () => {
    tool('publish.ts', 'timestamp', '--repo', join(dir, 'repo'), '--timestamp-sign', key('timestamp'));
    statuses.length = 0;
    const result = await check();
    expect(result).toMatchObject({ status: 'current', state: { versions: { timestamp: 2, targets: 1 } } });
    expect(statuses).toEqual([404, 200]);
    state = result.state;
  });

  it('refuses to publish below the targets threshold and leaves the live channel untouched', async () => {
    const before = readFileSync(join(dir, 'repo', 'timestamp.json'));
    const { run } = publish(2, ['targets-a']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/threshold is 2/);
    expect(readFileSync(join(dir, 'repo', 'timestamp.json'))).toEqual(before);
    expect((await check()).status).toBe('current');
  });

  it('picks up adapter v2, then rejects a tampered adapter file on the server', async () => {
    expect(publish(2).run.status).toBe(0);
    const result = await check();
    expect(result.status === 'updated' && result.adapter.header.adapterVersion).toBe(2);
    state = result.state;
    expect(publish(3).run.status).toBe(0);
    const live = JSON.parse(readFileSync(join(dir, 'repo', 'targets', '3.json'), 'utf8')).signed.targets;
    const path = join(dir, 'repo', Object.keys(live)[0]!);
    const bytes = readFileSync(path);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(path, bytes);
    const err = await check().catch((e: unknown) => e);
    expect(isLocalshelfError(err, 'ADAPTER_HASH_MISMATCH'), String(err)).toBe(true);
  });

  it('re-downloads the still active adapter v2 when its cached copy is gone', async () => {
    const { adapter } = await fetchActiveAdapter({ baseUrl: server.url, model: MODEL, fetch: recordingFetch }, state);
    expect(adapter.header.adapterVersion).toBe(2);
    expect(adapter.tensors.get('item_bias')!.data).toEqual(parseAdapter(readFileSync(join(dir, 'a2.lsad')), MODEL).tensors.get('item_bias')!.data);
  });
});
