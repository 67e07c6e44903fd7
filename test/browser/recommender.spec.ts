/**
 * The library end to end in real headless Chromium: built package, real worker, real IndexedDB, real
 * onnxruntime-web, the shipped Beauty model.
 */
import type { Page } from '@playwright/test';
import { expect, MODEL, test } from './fixtures';

const NAILS = ['B004756YJA', 'B004ZT0SSG'];

test('starts on WASM under auto, says why WebGPU was skipped, and reports progress in order', async ({ shop }) => {
  const result = await shop.evaluate(async (model) => {
    const seen: string[] = [];
    const r = await window.localshelf.createRecommender({ model, storageName: 'start', onProgress: (p) => seen.push(p.status) });
    const out = { backend: r.backend, model: r.model, seen };
    r.dispose();
    return out;
  }, MODEL);
  expect(result.backend.name).toBe('wasm');
  expect(result.backend.threads).toBe(1);
  expect(result.backend.runtime).toBe('localshelf'); // the shipped graph describes itself: the own encoder runs it
  expect(result.backend.skipped.map((s) => s.name)).toEqual(['webgpu']);
  expect(result.backend.skipped[0]!.reason).toMatch(/fallback|navigator\.gpu|adapter/i);
  expect(result.model.items).toBeGreaterThan(10_000);
  expect(result.model.scorer).toBe('wasm-simd'); // Chromium has WebAssembly SIMD: the kernel, not the JS loop
  const order = ['initiate', 'download', 'done', 'ready'];
  expect(result.seen.at(-1)).toBe('ready');
  expect(result.seen.filter((s) => s === 'ready')).toHaveLength(1);
  expect(result.seen).toContain('download');
  // per file, statuses only move forward; overall 'ready' comes last
  expect(order.indexOf(result.seen[0]!)).toBe(0);
});

test('no history gives popular items; views of one kind of product turn them personal and on-topic', async ({ shop }) => {
  const out = await shop.evaluate(
    async ({ model, seeds }) => {
      const r = await window.localshelf.createRecommender({ model, storageName: 'topic' });
      const before = await r.recommend({ k: 10 });
      // Find nail products in the catalog through the popular list's neighbours: track the seed items.
      for (const itemId of seeds) await r.track({ type: 'view', itemId });
      const after = await r.recommend({ k: 10 });
      const again = await r.recommend({ k: 10 }); // same history: the engine reuses the user vector
      await r.track({ type: 'view', itemId: seeds[0]! }); // a new history: encoded again
      const more = await r.recommend({ k: 10 });
      r.dispose();
      return { before, after, again, more };
    },
    { model: MODEL, seeds: NAILS },
  );
  expect(out.before.source).toBe('popular');
  expect(out.before.items).toHaveLength(10);
  expect(out.after.source).toBe('personal');
  expect(out.after.historyUsed).toBe(2);
  expect(out.after.items.map((i) => i.id)).not.toEqual(out.before.items.map((i) => i.id));
  expect(out.again.items).toEqual(out.after.items);
  expect(out.more.historyUsed).toBe(3);
  expect(out.more.items.map((i) => i.score)).not.toEqual(out.after.items.map((i) => i.score));
  const nail = (t: string): boolean => /nail|lacquer|polish|manicure|cuticle/i.test(t);
  const onTopicAfter = out.after.items.filter((i) => nail(i.title)).length;
  const onTopicBefore = out.before.items.filter((i) => nail(i.title)).length;
  expect(onTopicAfter).toBeGreaterThanOrEqual(5);
  expect(onTopicAfter).toBeGreaterThan(onTopicBefore);
  // ids are catalog ids, never model indices; scores descend
  for (const item of out.after.items) expect(item.id).toMatch(/^[A-Z0-9]{10}$/);
  const scores = out.after.items.map((i) => i.score);
  expect([...scores].sort((a, b) => b - a)).toEqual(scores);
});

test('history survives a reload; the shopper\'s own items are left out by default (omit)', async ({ shop }) => {
  await shop.evaluate(async (model) => {
    const r = await window.localshelf.createRecommender({ model, storageName: 'reload' });
    await r.track({ type: 'view', itemId: 'B004756YJA', timestamp: 1000 });
    await r.track({ type: 'purchase', itemId: 'B004ZT0SSG', timestamp: 2000 });
    r.dispose();
  }, MODEL);
  await shop.reload();
  await shop.waitForFunction(() => window.localshelfReady === true);
  const out = await shop.evaluate(async (model) => {
    const r = await window.localshelf.createRecommender({ model, storageName: 'reload' });
    const history = await r.history.export();
    const rec = await r.recommend({ k: 50 });
    const purchasedOnly = await r.recommend({ k: 50, omit: 'purchased' });
    const none = await r.recommend({ k: 50, omit: 'none' });
    const codes: string[] = [];
    for (const bad of [{ omit: 'everything' }, { includePurchased: true }]) {
      codes.push(await r.recommend(bad as never).then(() => 'accepted', (e: { code?: string }) => e.code ?? 'untyped'));
    }
    await r.history.clear();
    const cleared = await r.history.export();
    const afterClear = await r.recommend({ k: 50 });
    r.dispose();
    return { history, rec, purchasedOnly, none, codes, cleared, afterClear };
  }, MODEL);
  expect(out.history.map((e) => [e.type, 'itemId' in e ? e.itemId : '', e.timestamp])).toEqual([
    ['view', 'B004756YJA', 1000],
    ['purchase', 'B004ZT0SSG', 2000],
  ]);
  const ids = (r: { items: { id: string }[] }): string[] => r.items.map((i) => i.id);
  expect(out.rec.source).toBe('personal');
  expect(ids(out.rec)).toHaveLength(50);
  expect(ids(out.rec)).not.toContain('B004ZT0SSG');
  expect(ids(out.rec)).not.toContain('B004756YJA');
  // The history's own items score high for this shopper: 'none' brings the viewed one back, 'purchased' too.
  expect(ids(out.none)).toContain('B004756YJA');
  expect(ids(out.purchasedOnly)).toContain('B004756YJA');
  expect(ids(out.purchasedOnly)).not.toContain('B004ZT0SSG');
  expect(out.codes).toEqual(['INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
  expect(out.cleared).toEqual([]);
  expect(out.afterClear.source).toBe('popular');
});

test('an invalid event is refused with a typed error and the stored history is unchanged', async ({ shop }) => {
  const out = await shop.evaluate(async (model) => {
    const { createRecommender, isLocalshelfError } = window.localshelf;
    const r = await createRecommender({ model, storageName: 'invalid' });
    await r.track({ type: 'view', itemId: 'B004756YJA', timestamp: 5 });
    const before = await r.history.export();
    const errors: string[] = [];
    const bad: unknown[] = [{ type: 'teleport', itemId: 'x' }, { type: 'view' }, { type: 'view', itemId: '' }, { type: 'view', itemId: 'a', timestamp: Number.NaN }, null, 'view'];
    for (const e of bad) {
      try {
        await r.track(e as never);
        errors.push('accepted');
      } catch (error) {
        errors.push(isLocalshelfError(error) ? `${error.name}:${error.code}` : `untyped:${String(error)}`);
      }
    }
    const after = await r.history.export();
    r.dispose();
    return { before, after, errors };
  }, MODEL);
  expect(out.errors).toEqual(Array(6).fill('LocalshelfError:INVALID_EVENT'));
  expect(out.after).toEqual(out.before);
});

test('the history cap drops the oldest events first', async ({ shop }) => {
  const ids = await shop.evaluate(async (model) => {
    const r = await window.localshelf.createRecommender({ model, storageName: 'cap', historyCap: 5 });
    await Promise.all(Array.from({ length: 8 }, (_, i) => r.track({ type: 'search', query: `q${i}`, timestamp: i })));
    const events = await r.history.export();
    r.dispose();
    return events.map((e) => ('query' in e ? e.query : ''));
  }, MODEL);
  expect(ids).toEqual(['q3', 'q4', 'q5', 'q6', 'q7']);
});

for (const [kind, code] of [
  ['corrupt-encoder', 'MODEL_CORRUPT'],
  ['missing-items', 'MODEL_FETCH'],
  ['tampered-catalog', 'MODEL_CORRUPT'],
  ['bad-manifest', 'MODEL_CORRUPT'],
] as const) {
  test(`a ${kind} model file gives ${code}, not a hang`, async ({ shop }) => {
    const error = await shop.evaluate(async (model) => {
      try {
        await window.localshelf.createRecommender({ model, storageName: 'broken', initTimeoutMs: 20_000 });
        return 'resolved';
      } catch (e) {
        const err = e as { name: string; code: string; message: string };
        return `${err.name}:${err.code}:${err.message}`;
      }
    }, `/broken/${kind}/manifest.json`);
    expect(error).toMatch(new RegExp(`^LocalshelfError:${code}:`));
  });
}

test('a terminated worker rejects every pending call, and dispose() is safe twice', async ({ shop }) => {
  const out = await shop.evaluate(async (model) => {
    const workers: Worker[] = [];
    const Native = window.Worker;
    window.Worker = class extends Native {
      constructor(url: string | URL, options?: WorkerOptions) {
        super(url, options);
        workers.push(this);
      }
    };
    const r = await window.localshelf.createRecommender({ model, storageName: 'dies' });
    window.Worker = Native;
    const pending = [r.recommend({ k: 5 }), r.recommend({ k: 5 }), r.history.export(), r.track({ type: 'view', itemId: 'B004756YJA' })];
    workers[0]!.terminate();
    const settled = await Promise.allSettled(pending);
    const later = await r.recommend().then(() => 'resolved', (e: { code: string }) => e.code);
    r.dispose();
    r.dispose();
    const afterDispose = await r.recommend().then(() => 'resolved', (e: { code: string }) => e.code);
    return { codes: settled.map((s) => (s.status === 'rejected' ? (s.reason as { code: string }).code : 'resolved')), later, afterDispose };
  }, MODEL);
  expect(out.codes).toEqual(['WORKER_DIED', 'WORKER_DIED', 'WORKER_DIED', 'WORKER_DIED']);
  expect(out.later).toBe('WORKER_DIED');
  expect(out.afterDispose).toBe('WORKER_DIED');
});

test('dispose() rejects pending calls with DISPOSED; an aborted call rejects with ABORTED', async ({ shop }) => {
  const out = await shop.evaluate(async (model) => {
    const r = await window.localshelf.createRecommender({ model, storageName: 'dispose' });
    const aborted = await r.recommend({ k: 3 }, { signal: AbortSignal.abort('stop') }).then(() => 'resolved', (e: { code: string }) => e.code);
    const pending = r.recommend({ k: 3 });
    r.dispose();
    const code = await pending.then(() => 'resolved', (e: { code: string }) => e.code);
    return { aborted, code };
  }, MODEL);
  expect(out).toEqual({ aborted: 'ABORTED', code: 'DISPOSED' });
});

test('the WebGPU path (forced, SwiftShader) returns the same top-10 as WASM for the same history', async ({ shop }) => {
  const out = await shop.evaluate(
    async ({ model, seeds }) => {
      const run = async (backend: 'wasm' | 'webgpu') => {
        const r = await window.localshelf.createRecommender({ model, storageName: `same-${backend}`, backend });
        for (const itemId of seeds) await r.track({ type: 'view', itemId });
        const rec = await r.recommend({ k: 10 });
        const info = r.backend;
        r.dispose();
        return { info, rec };
      };
      return { wasm: await run('wasm'), gpu: await run('webgpu') };
    },
    { model: MODEL, seeds: [...NAILS, 'B004756YJA'] },
  );
  expect(out.gpu.info.name).toBe('webgpu');
  expect(out.gpu.info.adapter?.isFallbackAdapter).toBe(true);
  expect(out.wasm.info.name).toBe('wasm');
  expect(out.gpu.rec.items.map((i) => i.id)).toEqual(out.wasm.rec.items.map((i) => i.id));
  out.gpu.rec.items.forEach((item, i) => expect(item.score).toBeCloseTo(out.wasm.rec.items[i]!.score, 3));
});

type TwoViewsRun = { model: string; storageName: string; runtime?: 'auto' | 'onnxruntime' };

/** Each run: a recommender on WASM, two views, recommend({ k: 10 }); its backend and [id, score] pairs. */
async function twoViewsTop10(page: Page, runs: TwoViewsRun[]) {
  return page.evaluate(async (list) => {
    const out = [];
    for (const { model, storageName, runtime } of list) {
      const r = await window.localshelf.createRecommender({ model, storageName, backend: 'wasm', ...(runtime ? { runtime } : {}) });
      await r.track({ type: 'view', itemId: 'B004756YJA' });
      await r.track({ type: 'view', itemId: 'B0009RF9DW' });
      const rec = await r.recommend({ k: 10 });
      out.push({ backend: r.backend, items: rec.items.map((i) => [i.id, i.score] as const) });
      r.dispose();
    }
    return { isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency, out };
  }, runs);
}

test('a LoRA-free graph without its description runs in onnxruntime, says why, and ranks as the own encoder does', async ({ shop }) => {
  const { out: [own, ort] } = await twoViewsTop10(shop, [
    { model: MODEL, storageName: 'described' },
    { model: '/broken/undescribed/manifest.json', storageName: 'undescribed' },
  ]);
  expect(own!.backend.runtime).toBe('localshelf');
  expect(ort!.backend.runtime).toBe('onnxruntime');
  expect(ort!.backend.reason).toMatch(/onnxruntime-web runs it: the graph has no localshelf\.encoder description/);
  expect(ort!.items.map(([id]) => id)).toEqual(own!.items.map(([id]) => id));
  ort!.items.forEach(([, score], i) => expect(score).toBeCloseTo(own!.items[i]![1], 4));
});

test('onnxruntime uses WASM threads when the page is cross-origin isolated; the own encoder gives the same items', async ({ page, isolatedServer }) => {
  await page.goto(`${isolatedServer.url}/index.html`);
  await page.waitForFunction(() => window.localshelfReady === true);
  const { isolated, cores, out: [ort, own] } = await twoViewsTop10(page, [
    { model: MODEL, storageName: 'threads-onnxruntime', runtime: 'onnxruntime' },
    { model: MODEL, storageName: 'threads-auto', runtime: 'auto' },
  ]);
  expect(isolated).toBe(true);
  expect(ort!.backend.runtime).toBe('onnxruntime');
  expect(ort!.backend.threads).toBe(Math.min(4, cores));
  expect(ort!.backend.threads).toBeGreaterThan(1);
  expect(own!.backend.runtime).toBe('localshelf');
  expect(own!.backend.threads).toBe(1);
  expect(own!.items.map(([id]) => id)).toEqual(ort!.items.map(([id]) => id));
  own!.items.forEach(([, score], i) => expect(score).toBeCloseTo(ort!.items[i]![1], 4));
});
