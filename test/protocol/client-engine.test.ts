/**
 * The client–engine protocol over a MessageChannel, without a worker: comlink, the error transfer handler,
 * progress proxies, abort forwarding, timeouts, death and disposal.
 */
import { expose } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { createRecommender, isLocalshelfError, LocalshelfError, type Recommender } from '../../src/index';
import { installErrorTransfer } from '../../src/error-transfer';
import type { EngineApi, EngineConfig, EngineEvent, ReadyInfo, RecommendRequest, RecommendResult } from '../../src/protocol';
import type { Progress } from '../../src/progress';
import type { StoredEvent, TrackEvent } from '../../src/events';
import type { StorageInfo, StoragePreference } from '../../src/storage';

const READY: ReadyInfo = {
  backend: { name: 'wasm', runtime: 'localshelf', threads: 1, reason: 'test', skipped: [{ name: 'webgpu', reason: 'none in Node' }] },
  model: { name: 'fake', dim: 4, maxLen: 3, items: 2, sha256: 'ab', scorer: 'js' },
  history: { events: 0, storage: { kind: 'indexeddb', skipped: 0 } },
};

/** An engine that behaves as the test needs; it speaks the real protocol. */
class FakeEngine implements Omit<EngineApi, 'search' | 'searchInfo' | 'addItems' | 'syncAdapters' | 'setVisibility' | 'related' | 'metrics'> {
  config: EngineConfig | undefined;
  tracked: TrackEvent[][] = [];
  aborted: number[] = [];
  hang = false;
  engineEvent: ((event: EngineEvent) => void) | undefined;
  async init(config: EngineConfig, onProgress?: (p: Progress) => void, _onAdapter?: unknown, onEngineEvent?: (event: EngineEvent) => void): Promise<ReadyInfo> {
    this.config = config;
    this.engineEvent = onEngineEvent;
    await onProgress?.({ status: 'initiate', file: 'manifest.json' });
    await onProgress?.({ status: 'done', file: 'manifest.json', bytes: 10 });
    await onProgress?.({ status: 'ready', backend: 'wasm' });
    if (config.storageName === 'fail-init') {
      throw new LocalshelfError('MODEL_CORRUPT', 'bad model', { cause: new LocalshelfError('INVALID_ARGUMENT', 'inner') });
    }
    return READY;
  }
  async track(events: TrackEvent[]): Promise<number> {
    this.tracked.push(events);
    return events.length;
  }
  async recommend(request: RecommendRequest, callId: number): Promise<RecommendResult> {
    if (this.hang) return new Promise(() => undefined);
    if (request.k === 0) throw new LocalshelfError('INVALID_ARGUMENT', `k must be positive (call ${callId})`);
    if (request.k === -1) throw new TypeError('plain error');
    return { items: [{ id: 'a', title: 'A', score: 1 }], source: 'personal', historyUsed: 1, recommendationId: 'recommend#1', elapsedMs: 0 };
  }
  async exportHistory(): Promise<StoredEvent[]> {
    return [];
  }
  async clearHistory(): Promise<void> {}
  abort(callId: number): void {
    this.aborted.push(callId);
  }
}

const open: Recommender[] = [];
afterEach(() => open.splice(0).forEach((r) => r.dispose()));

async function connect(options: { storageName?: string; callTimeoutMs?: number; storage?: StoragePreference } = {}) {
  installErrorTransfer();
  const engine = new FakeEngine();
  const channel = new MessageChannel();
  expose(engine, channel.port2);
  let terminated = 0;
  const port = channel.port1 as unknown as Worker;
  (port as unknown as { terminate: () => void }).terminate = () => {
    terminated++;
    channel.port1.close();
    channel.port2.close();
  };
  const progress: Progress[] = [];
  const recommender = await createRecommender({
    model: 'https://shop.example/models/m/manifest.json',
    createWorker: () => port,
    onProgress: (p) => progress.push(p),
    ...options,
  });
  open.push(recommender);
  return { engine, recommender, progress, terminated: () => terminated };
}

describe('client ↔ engine over a MessageChannel', () => {
  it('reports where the history is, and a move to memory as a storagechange event', async () => {
    const { engine, recommender } = await connect();
    expect(engine.config!.storage).toBe('auto');
    expect(recommender.storage).toBe('indexeddb');
    const seen = new Promise<StorageInfo>((resolve) => recommender.addEventListener('storagechange', (e) => resolve(e.storage)));
    await engine.engineEvent!({ type: 'storage', storage: { kind: 'memory', reason: 'deleted', skipped: 0 } });
    expect(await seen).toEqual({ kind: 'memory', reason: 'deleted', skipped: 0 });
    expect(recommender.storage).toBe('memory');
    expect(recommender.storageInfo.reason).toBe('deleted');
  });

  it('updates backend and fires backendchange when the worker moves the encoder to another backend', async () => {
    const { engine, recommender } = await connect();
    const previous = recommender.backend;
    const seen = new Promise<{ name: string; previous: string; recoveryMs: number }>((resolve) =>
      recommender.addEventListener('backendchange', (e) => resolve({ name: e.backend.name, previous: e.previous.name, recoveryMs: e.recoveryMs })),
    );
    const backend = { name: 'wasm' as const, runtime: 'onnxruntime' as const, threads: 1, reason: 'device lost', skipped: [] };
    await engine.engineEvent!({ type: 'backend', backend, previous: { ...previous, name: 'webgpu' }, recoveryMs: 12 });
    expect(await seen).toEqual({ name: 'wasm', previous: 'wasm', recoveryMs: 12 });
    expect(recommender.backend.reason).toBe('device lost');
  });

  it('refuses an unknown storage preference', async () => {
    await expect(connect({ storage: 'disk' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('resolves once the engine is ready and passes resolved options', async () => {
    const { engine, recommender, progress } = await connect();
    expect(recommender.backend.skipped[0]!.name).toBe('webgpu');
    expect(engine.config).toMatchObject({ modelUrl: 'https://shop.example/models/m/manifest.json', backend: 'auto', storageName: 'localshelf', historyCap: 10000 });
    expect(progress.map((p) => p.status)).toEqual(['initiate', 'done', 'ready']);
  });

  it('keeps the error class, code and cause across the boundary', async () => {
    const { recommender } = await connect();
    const error = await recommender.recommend({ k: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalshelfError);
    expect(isLocalshelfError(error, 'INVALID_ARGUMENT')).toBe(true);
    const plain = await recommender.recommend({ k: -1 }).catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(Error);
    expect((plain as Error).name).toBe('TypeError');
    expect(isLocalshelfError(plain)).toBe(false);
  });

  it('rejects start-up with the engine error and its cause chain', async () => {
    const error = await connect({ storageName: 'fail-init' }).catch((e: unknown) => e);
    expect(isLocalshelfError(error, 'MODEL_CORRUPT')).toBe(true);
    expect(isLocalshelfError((error as Error).cause, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('batches track() calls made in one tick into one message', async () => {
    const { engine, recommender } = await connect();
    await Promise.all([recommender.track({ type: 'view', itemId: 'a' }), recommender.track({ type: 'click', itemId: 'b' })]);
    expect(engine.tracked).toHaveLength(1);
    expect(engine.tracked[0]!.map((e) => e.type)).toEqual(['view', 'click']);
  });

  it('refuses a malformed event before it reaches the engine', async () => {
    const { engine, recommender } = await connect();
    await expect(recommender.track({ type: 'view' } as never)).rejects.toMatchObject({ code: 'INVALID_EVENT' });
    expect(engine.tracked).toHaveLength(0);
  });

  it('forwards an abort to the engine and rejects with ABORTED', async () => {
    const { engine, recommender } = await connect();
    engine.hang = true;
    const controller = new AbortController();
    const call = recommender.recommend({ k: 1 }, { signal: controller.signal });
    controller.abort('user left');
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    await expect.poll(() => engine.aborted.length).toBe(1);
  });

  it('times out a call the engine never answers', async () => {
    const { engine, recommender } = await connect({ callTimeoutMs: 50 });
    engine.hang = true;
    await expect(recommender.recommend()).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('dispose() rejects pending calls, terminates once, and is safe twice', async () => {
    const { engine, recommender, terminated } = await connect();
    engine.hang = true;
    const pending = [recommender.recommend(), recommender.recommend()];
    recommender.dispose();
    recommender.dispose();
    for (const p of pending) await expect(p).rejects.toMatchObject({ code: 'DISPOSED' });
    await expect(recommender.recommend()).rejects.toMatchObject({ code: 'DISPOSED' });
    expect(terminated()).toBe(1);
    expect(recommender.disposed).toBe(true);
  });
});
