/**
 * Adapter updates across the client–engine protocol over a MessageChannel: the engine pushes change and error
 * reports through the comlink-proxied callback given at init; the client exposes `adapter`, `sync()`, the
 * `adapterchange` / `adaptererror` events, and forwards the page's visibility.
 */
import { expose } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AdapterChangeEvent, AdapterErrorEvent, createRecommender, isLocalshelfError, LocalshelfError, type Recommender,
} from '../../src/index';
import { installErrorTransfer } from '../../src/error-transfer';
import { toWireError } from '../../src/errors';
import type { AdapterSyncWire, AdapterWire, AdapterWireEvent, EngineConfig, ReadyInfo } from '../../src/protocol';

const ROOT = { signatures: [], signed: { _type: 'root', version: 1 } };
const wire = (version: number, revision: number, activatedAt = Date.now() - 1000): AdapterWire => ({
  version, target: `adapters/${String(version).repeat(64).slice(0, 64)}.lsad`, sha256: String(version).repeat(64).slice(0, 64), activatedAt, revision,
});

class FakeEngine {
  config: EngineConfig | undefined;
  push: ((e: AdapterWireEvent) => void) | undefined;
  visibility: boolean[] = [];
  next: AdapterSyncWire | Error = { status: 'current', adapter: null };
  startAdapter: AdapterWire | null = null;
  async init(config: EngineConfig, _onProgress?: unknown, onAdapterEvent?: (e: AdapterWireEvent) => void): Promise<ReadyInfo> {
    this.config = config;
    this.push = onAdapterEvent;
    return {
      backend: { name: 'wasm', runtime: 'localshelf', threads: 1, reason: 'test', skipped: [] },
      model: { name: 'fake', dim: 4, maxLen: 3, items: 2, sha256: 'ab', scorer: 'js' },
      history: { events: 0, storage: { kind: 'indexeddb', skipped: 0 } },
      ...(config.adapters ? { adapter: this.startAdapter } : {}),
    };
  }
  async syncAdapters(): Promise<AdapterSyncWire> {
    if (!this.config?.adapters) throw new LocalshelfError('INVALID_ARGUMENT', 'adapter updates are off');
    if (this.next instanceof Error) throw this.next;
    return this.next;
  }
  setVisibility(visible: boolean): void {
    this.visibility.push(visible);
  }
}

const open: Recommender[] = [];
afterEach(() => {
  open.splice(0).forEach((r) => r.dispose());
  delete (globalThis as { document?: unknown }).document;
});

async function connect(adapters: boolean, engine = new FakeEngine()) {
  installErrorTransfer();
  const channel = new MessageChannel();
  expose(engine, channel.port2);
  const port = channel.port1 as unknown as Worker & { terminate(): void };
  port.terminate = () => {
    channel.port1.close();
    channel.port2.close();
  };
  const recommender = await createRecommender({
    model: 'https://shop.example/models/m/manifest.json',
    createWorker: () => port,
    ...(adapters ? { adapters: { url: 'https://cdn.example/channel', root: ROOT, intervalMs: 60_000 } } : {}),
  });
  open.push(recommender);
  return { engine, recommender };
}

const nextEvent = <K extends 'adapterchange' | 'adaptererror'>(r: Recommender, type: K) =>
  new Promise<K extends 'adapterchange' ? AdapterChangeEvent : AdapterErrorEvent>((resolve) =>
    r.addEventListener(type, (e) => resolve(e as never), { once: true }));

describe('adapters across the client–engine protocol', () => {
  it('off by default: no adapter config reaches the engine, adapter is null, sync() rejects INVALID_ARGUMENT', async () => {
    const { engine, recommender } = await connect(false);
    expect(engine.config!.adapters).toBeUndefined();
    expect(engine.push).toBeUndefined();
    expect(recommender.adapter).toBeNull();
    expect(isLocalshelfError(await recommender.sync().catch((e: unknown) => e), 'INVALID_ARGUMENT')).toBe(true);
  });

  it('passes the resolved channel and reports the adapter restored at start-up with its age', async () => {
    const engine = new FakeEngine();
    engine.startAdapter = wire(3, 1, Date.now() - 60_000);
    const { recommender } = await connect(true, engine);
    expect(engine.config!.adapters).toMatchObject({ url: 'https://cdn.example/channel/', rootJson: JSON.stringify(ROOT), intervalMs: 60_000, jitter: 0.2 });
    expect(recommender.adapter).toMatchObject({ version: 3, activatedAt: engine.startAdapter.activatedAt });
    expect(recommender.adapter!.ageMs).toBeGreaterThanOrEqual(60_000);
  });

  it('dispatches adapterchange with the new and previous adapter, and adaptererror with a typed error', async () => {
    const { engine, recommender } = await connect(true);
    const change = nextEvent(recommender, 'adapterchange');
    engine.push!({ type: 'change', adapter: wire(1, 1), previous: null, source: 'download' });
    const e = await change;
    expect(e).toBeInstanceOf(AdapterChangeEvent);
    expect(e.adapter.version).toBe(1);
    expect(e.previous).toBeNull();
    expect(e.source).toBe('download');
    expect(recommender.adapter?.version).toBe(1);

    const failure = nextEvent(recommender, 'adaptererror');
    engine.push!({ type: 'error', error: toWireError(new LocalshelfError('ADAPTER_ROLLBACK', 'timestamp v1 < v2')) });
    const f = await failure;
    expect(f.code).toBe('ADAPTER_ROLLBACK');
    expect(isLocalshelfError(f.error, 'ADAPTER_ROLLBACK')).toBe(true);
    expect(recommender.adapter?.version).toBe(1);
  });

  it('sync() returns the result, keeps the newest report when reports cross, and rejects with the check’s code', async () => {
    const { engine, recommender } = await connect(true);
    engine.next = { status: 'updated', adapter: wire(2, 2) };
    expect(await recommender.sync()).toMatchObject({ status: 'updated', adapter: { version: 2 } });
    // An older report arriving late does not move `adapter` back.
    const change = nextEvent(recommender, 'adapterchange');
    engine.push!({ type: 'change', adapter: wire(1, 1), previous: null, source: 'peer' });
    await change;
    expect(recommender.adapter?.version).toBe(2);
    engine.next = new LocalshelfError('ADAPTER_HASH_MISMATCH', 'tampered');
    expect(isLocalshelfError(await recommender.sync().catch((e: unknown) => e), 'ADAPTER_HASH_MISMATCH')).toBe(true);
    expect(recommender.adapter?.version).toBe(2);
  });

  it('forwards visibilitychange to the engine until disposed, and starts paused on a hidden page', async () => {
    const doc = Object.assign(new EventTarget(), { visibilityState: 'hidden' as DocumentVisibilityState });
    (globalThis as { document?: unknown }).document = doc;
    const { engine, recommender } = await connect(true);
    expect(engine.config!.hidden).toBe(true);
    doc.visibilityState = 'visible';
    doc.dispatchEvent(new Event('visibilitychange'));
    doc.visibilityState = 'hidden';
    doc.dispatchEvent(new Event('visibilitychange'));
    await recommender.sync().catch(() => undefined); // a round trip: the visibility messages were sent before it
    expect(engine.visibility).toEqual([true, false]);
    recommender.dispose();
    doc.dispatchEvent(new Event('visibilitychange'));
    await new Promise((r) => setTimeout(r, 20));
    expect(engine.visibility).toEqual([true, false]);
  });
});
