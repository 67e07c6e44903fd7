/**
 * The adapter host (workers/adapters/host.ts) in Node: real IndexedDB semantics (fake-indexeddb), Node's real
 * BroadcastChannel between two hosts standing in for two tabs, the in-process lock, and a simulated publisher
 * behind an in-memory server.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { isLocalshelfError, type ErrorCode } from '../../../src/errors';
import type { ResolvedAdapterOptions } from '../../../src/options';
import type { AdapterWireEvent } from '../../../src/protocol';
import { seededRandom } from '../../../tools/lib/random-adapter';
import { AdapterHost, type AdapterHostOptions } from '../../../workers/adapters/host';
import { parseAdapter } from '../../../workers/adapters/format';
import { AdapterStateStore } from '../../../workers/adapters/state-store';
import { buildRoot, buildTimestamp, documentBytes, isoSeconds, signDocument } from '../../../tools/lib/sign-metadata';
import { DAY, fakeFetch, HOUR, MODEL, poolKey, SimPublisher, T0, type ServedFile } from './channel-fixture';

const BASE = 'https://cdn.test/channel/';
const KEY = `${BASE}#${MODEL.baseModel}`;

/** Tensors as plain objects: the host never looks inside them. */
interface FakeTensor {
  data: Float32Array;
  dims: readonly number[];
}

function zeros(): Record<string, FakeTensor> {
  const feeds: Record<string, FakeTensor> = {};
  const r = MODEL.lora.rank;
  for (const t of MODEL.lora.targets) {
    feeds[`lora.${t.name}.A`] = { data: new Float32Array(r * t.in), dims: [r, t.in] };
    feeds[`lora.${t.name}.B`] = { data: new Float32Array(t.out * r), dims: [t.out, r] };
  }
  return feeds;
}

let dbCounter = 0;
const hosts: AdapterHost<FakeTensor>[] = [];
afterEach(() => hosts.splice(0).forEach((h) => h.dispose()));

function channel(pub: SimPublisher, overrides: Partial<ResolvedAdapterOptions> = {}): ResolvedAdapterOptions {
  return {
    url: BASE,
    rootJson: new TextDecoder().decode(pub.rootBytes),
    intervalMs: 3_600_000,
    jitter: 0,
    backoffBaseMs: 3_600_000,
    backoffMaxMs: 3_600_000,
    initialDelayMs: 3_600_000, // tests drive checks with sync() unless they say otherwise
    maxAdapterBytes: 1 << 20,
    ...overrides,
  };
}

function world() {
  const pub = new SimPublisher(
    { root: [poolKey('ed25519', 40)], targets: [poolKey('ed25519', 41)], timestamp: [poolKey('ed25519', 42)], thresholds: { root: 1, targets: 1, timestamp: 1 } },
    seededRandom(11),
  );
  let served = new Map<string, ServedFile>();
  let now = T0 + HOUR;
  const storageName = `host-test-${++dbCounter}`;
  const publish = () => {
    const release = pub.publishAdapter(now);
    served = pub.files(release);
    return release;
  };
  /** A tab: its own host, fetch log and event list, over the shared database and server. */
  const tab = async (options: Omit<Partial<AdapterHostOptions<FakeTensor>>, 'channel'> & { channel?: Partial<ResolvedAdapterOptions> } = {}) => {
    const server = fakeFetch(() => served, BASE);
    const events: AdapterWireEvent[] = [];
    const { channel: channelOverrides, ...rest } = options;
    const host = await AdapterHost.start<FakeTensor>({
      channel: channel(pub, channelOverrides),
      storageName,
      model: MODEL,
      baseFeeds: zeros(),
      tensor: (data, dims) => ({ data, dims }),
      onEvent: (e) => events.push(e),
      fetch: server.fetch,
      now: () => now,
      ...rest,
    });
    hosts.push(host);
    return { host, log: server.log, events };
  };
  const refresh = () => {
    const release = pub.refresh(now);
    served = pub.files(release);
    return release;
  };
  return {
    pub, storageName, publish, refresh, tab,
    served: () => served,
    advance: (ms: number) => void (now += ms),
    now: () => now,
  };
}

const adapterRequests = (log: { requests: { url: string }[] }) => log.requests.filter((r) => r.url.endsWith('.lsad')).length;
const until = async (condition: () => boolean, ms = 2000): Promise<void> => {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

async function rejectionCode(promise: Promise<unknown>): Promise<ErrorCode> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(isLocalshelfError(error), String(error)).toBe(true);
  return (error as { code: ErrorCode }).code;
}

describe('adapter host', () => {
  it('downloads, persists, then swaps in v1: LoRA tensors for covered targets, zeros elsewhere, item_bias zero-padded', async () => {
    const w = world();
    const release = w.publish();
    const { host, events } = await w.tab();
    expect(host.info).toBeNull();
    const before = host.weights;
    const result = await host.sync();
    expect(result.status).toBe('updated');
    expect(result.adapter).toMatchObject({ version: 1, sha256: release.adapterSha, target: release.adapterPath, activatedAt: w.now() });
    expect(events).toEqual([{ type: 'change', adapter: result.adapter, previous: null, source: 'download' }]);

    const parsed = parseAdapter(release.adapter!, MODEL);
    const after = host.weights;
    for (const [name, zero] of Object.entries(zeros())) {
      const expected = parsed.tensors.get(name)?.data ?? zero.data;
      expect(after.feeds[name]!.data, name).toEqual(expected);
    }
    const bias = parsed.tensors.get('item_bias')?.data;
    // the bias as the file has it (the catalog view lays it on its rows: test/unit/adapters/items.test.ts)
    expect(after.bias).toBe(bias);
    expect(after.lora).toBe([...parsed.tensors.keys()].some((n) => n.startsWith('lora.')));
    // A call that read the weights before the swap still holds the zeros: snapshots are replaced, never mutated.
    expect(before.feeds).toEqual(zeros());
    expect(before.bias).toBeUndefined();
    expect(before.lora).toBe(false);
    expect(after).not.toBe(before);
    expect(Object.isFrozen(after.feeds)).toBe(true);

    const store = await AdapterStateStore.open(`${w.storageName}-adapters`);
    const stored = await store.read(KEY);
    store.close();
    expect(stored.state?.active?.sha256).toBe(release.adapterSha);
    expect(stored.state?.versions).toEqual({ timestamp: 1, targets: 1 });
    expect(stored.file?.bytes).toEqual(release.adapter);
  });

  it('persists in one strict-durability transaction before swapping; a failed write means no swap', async () => {
    const w = world();
    w.publish();
    const seen: { durability?: string; stores: string[] }[] = [];
    let failWrites = true;
    type Transaction = (this: IDBDatabase, stores: string | string[], mode?: IDBTransactionMode, options?: IDBTransactionOptions) => IDBTransaction;
    const proto = (globalThis.IDBDatabase as unknown as { prototype: { transaction: Transaction } }).prototype;
    const original = proto.transaction;
    proto.transaction = function (stores, mode, options) {
      const list = ([] as string[]).concat(stores);
      if (mode === 'readwrite') {
        seen.push({ durability: options?.durability, stores: list });
        if (failWrites && list.includes('files')) throw new DOMException('disk full', 'QuotaExceededError');
      }
      return original.call(this, stores, mode, options);
    };
    try {
      const { host, events } = await w.tab();
      expect(await rejectionCode(host.sync())).toBe('QUOTA_EXCEEDED');
      expect(host.info).toBeNull();
      expect(events.map((e) => e.type)).toEqual(['error']);
      failWrites = false;
      expect((await host.sync()).status).toBe('updated');
    } finally {
      proto.transaction = original;
    }
    expect(seen.every((t) => t.durability === 'strict')).toBe(true);
    expect(seen.at(-1)!.stores.sort()).toEqual(['channels', 'files']);
  });

  it('restores the cached adapter at start-up, re-verified, without a request and without a change event', async () => {
    const w = world();
    w.publish();
    const first = await w.tab();
    const installed = (await first.host.sync()).adapter!;
    first.host.dispose();
    w.advance(5 * 60_000);
    const second = await w.tab();
    expect(second.host.info).toEqual(installed); // activatedAt: when the device installed it, not the reload
    expect(second.log.requests).toHaveLength(0);
    expect(second.events).toHaveLength(0);
    expect(second.host.weights.feeds).not.toEqual(zeros());
  });

  it('two tabs: one downloads, the other learns of it over BroadcastChannel and loads it from IndexedDB', async () => {
    const w = world();
    const release = w.publish();
    const a = await w.tab();
    const b = await w.tab();
    await a.host.sync();
    await until(() => b.events.length > 0);
    expect(b.events[0]).toMatchObject({ type: 'change', source: 'peer', adapter: { sha256: release.adapterSha, version: 1 } });
    expect(b.host.info?.sha256).toBe(release.adapterSha);
    expect(b.log.requests).toHaveLength(0);
    // B's own check later: the timestamp revalidates (304) and nothing else is fetched.
    expect((await b.host.sync()).status).toBe('current');
    expect(b.log.requests.map((r) => r.url.slice(BASE.length))).toEqual(['roots/2.json', 'timestamp.json']);
  });

  it('two tabs checking at once: the lock lets one download; the other adopts it from IndexedDB', async () => {
    const w = world();
    w.publish();
    const a = await w.tab({ broadcast: () => undefined }); // no broadcast: the lock and the stored state alone suffice
    const b = await w.tab({ broadcast: () => undefined });
    const [ra, rb] = await Promise.all([a.host.sync(), b.host.sync()]);
    expect(adapterRequests(a.log) + adapterRequests(b.log)).toBe(1);
    expect([ra.status, rb.status]).toEqual(['updated', 'updated']);
    expect(ra.adapter!.sha256).toBe(rb.adapter!.sha256);
    expect([a.events[0], b.events[0]].map((e) => e?.type === 'change' && e.source).sort()).toEqual(['download', 'peer']);
  });

  it('on a tampered adapter or a replayed old timestamp: typed error, event, previous adapter and stored state kept', async () => {
    const w = world();
    w.publish();
    const { host, events } = await w.tab();
    const v1 = (await host.sync()).adapter!;
    const oldTimestamp = w.served().get('timestamp.json')!;
    w.advance(60_000);
    const r2 = w.publish();
    const files = w.served();
    const bytes = Uint8Array.from(files.get(r2.adapterPath!)!.bytes!);
    bytes[bytes.length - 1]! ^= 1;
    files.set(r2.adapterPath!, { bytes });
    const storeBefore = await AdapterStateStore.open(`${w.storageName}-adapters`);
    const stateBefore = (await storeBefore.read(KEY)).state;

    expect(await rejectionCode(host.sync())).toBe('ADAPTER_HASH_MISMATCH');
    expect(host.info).toEqual(v1);
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { code: 'ADAPTER_HASH_MISMATCH' } });
    expect((await storeBefore.read(KEY)).state).toEqual(stateBefore);

    files.set(r2.adapterPath!, { bytes: r2.adapter! });
    expect((await host.sync()).adapter?.version).toBe(2);
    files.set('timestamp.json', oldTimestamp); // replay release 1's signed timestamp
    expect(await rejectionCode(host.sync())).toBe('ADAPTER_ROLLBACK');
    expect(host.info?.version).toBe(2);
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { code: 'ADAPTER_ROLLBACK' } });
    storeBefore.close();
  });

  it('downloads the active adapter again when the cached copy is corrupt, and only it', async () => {
    const w = world();
    const release = w.publish();
    const first = await w.tab();
    await first.host.sync();
    first.host.dispose();
    const store = await AdapterStateStore.open(`${w.storageName}-adapters`);
    const { state, file } = await store.read(KEY);
    const bad = Uint8Array.from(file!.bytes);
    bad[100]! ^= 0xff;
    await store.install(KEY, state!, { ...file!, bytes: bad });
    store.close();
    const second = await w.tab();
    expect(second.host.info).toBeNull(); // not trusted without re-verification
    const result = await second.host.sync();
    expect(result).toMatchObject({ status: 'updated', adapter: { sha256: release.adapterSha } });
    expect(adapterRequests(second.log)).toBe(1);
    expect(second.events[0]).toMatchObject({ type: 'change', source: 'download' });
  });

  it('checks on its schedule, not while hidden; a check that fell due while hidden runs on resume', async () => {
    const w = world();
    w.publish();
    const { host, log } = await w.tab({ hidden: true, channel: { initialDelayMs: 0 } });
    await new Promise((r) => setTimeout(r, 80));
    expect(log.requests).toHaveLength(0);
    host.setVisible(true);
    await until(() => host.info !== null);
    host.setVisible(false);
    const count = log.requests.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(log.requests).toHaveLength(count);
  });

  it('a newer pinned root (an app release) replaces the stored one; counters of a role whose keys changed reset', async () => {
    const w = world();
    w.publish();
    const first = await w.tab();
    await first.host.sync();
    for (let i = 0; i < 4; i++) {
      w.advance(1000);
      w.refresh(); // e.g. a stolen timestamp key pushing the counter up
    }
    await first.host.sync();
    const rootKey = poolKey('ed25519', 40);
    const newTsKey = poolKey('ed25519', 43);
    const root2 = buildRoot(2, isoSeconds(T0 + 3650 * DAY), {
      root: { keys: [rootKey], threshold: 1 },
      targets: { keys: [poolKey('ed25519', 41)], threshold: 1 },
      timestamp: { keys: [newTsKey], threshold: 1 },
    });
    const latest = w.pub.latest!;
    const ts = buildTimestamp(1, isoSeconds(w.now() + DAY), latest.targetsVersion, latest.targets);
    w.served().set('timestamp.json', { bytes: documentBytes(signDocument(ts, [newTsKey])) });
    // The old app (root v1 pinned) cannot trust the new timestamp key.
    expect(await rejectionCode(first.host.sync())).toBe('ADAPTER_SIGNATURE');
    first.host.dispose();
    // The new release pins root v2: the stored root v1 and the timestamp counter (5) give way.
    const second = await w.tab({ channel: { rootJson: new TextDecoder().decode(documentBytes(signDocument(root2, [rootKey]))) } });
    expect(second.host.info?.version).toBe(1);
    expect(await second.host.sync()).toMatchObject({ status: 'current', adapter: { version: 1 } });
    const store = await AdapterStateStore.open(`${w.storageName}-adapters`);
    const { state } = await store.read(KEY);
    store.close();
    expect(state?.versions).toEqual({ timestamp: 1, targets: 1 });
    expect(JSON.parse(state!.rootJson).signed.version).toBe(2);
  });

  it('refuses a pinned root that does not verify; never sends credentials, referrer or anything but If-None-Match', async () => {
    const w = world();
    const root = JSON.parse(new TextDecoder().decode(w.pub.rootBytes));
    root.signed.version = 9; // breaks the signature
    const code = await rejectionCode(w.tab({ channel: { rootJson: JSON.stringify(root) } }));
    expect(code).toBe('INVALID_ARGUMENT');
    w.publish();
    const { host, log } = await w.tab();
    await host.sync();
    await host.sync();
    for (const { url, init } of log.requests) {
      expect(url.startsWith(BASE) && !url.includes('?')).toBe(true);
      expect(init.credentials).toBe('omit');
      expect(init.referrerPolicy).toBe('no-referrer');
      expect(Object.keys((init.headers ?? {}) as Record<string, string>).every((h) => h === 'If-None-Match')).toBe(true);
    }
  });
});
