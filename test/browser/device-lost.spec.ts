/**
 * The WebGPU device lost while a recommender runs (GPUDevice.destroy() on SwiftShader here, as a driver reset or
 * a reclaimed GPU would): calls in flight finish, later calls run on WASM, `backend` and `backendchange` say so,
 * and the recovery time is measured.
 */
import { expect, MODEL, test } from './fixtures';

test('GPU device lost: calls in flight finish, the encoder moves to WASM, backendchange reports it with the recovery time', async ({ shop }) => {
  test.setTimeout(180_000);
  const out = await shop.evaluate(async (model) => {
    // The library's worker, with a test hook first: it keeps every GPUDevice the worker creates and destroys
    // them when the page posts { localshelfTest: 'destroy-gpu' } (the message goes no further).
    const workers: Worker[] = [];
    const Native = window.Worker;
    window.Worker = class extends Native {
      constructor(url: string | URL, options?: WorkerOptions) {
        const blob = (code: string) => URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
        const hook = blob(`
          const devices = [];
          const request = GPUAdapter.prototype.requestDevice;
          GPUAdapter.prototype.requestDevice = async function (...args) { const d = await request.apply(this, args); devices.push(d); return d; };
          self.addEventListener('message', (e) => {
            if (e.data && e.data.localshelfTest === 'destroy-gpu') { e.stopImmediatePropagation(); devices.forEach((d) => d.destroy()); }
          });`);
        super(blob(`import ${JSON.stringify(hook)}; import ${JSON.stringify(new URL(String(url), location.href).href)};`), options);
        workers.push(this);
      }
    };
    let r: import('localshelf').Recommender;
    try {
      r = await window.localshelf.createRecommender({ model, storageName: 'device-lost', backend: 'webgpu' });
    } finally {
      window.Worker = Native;
    }
    const before = r.backend.name;
    for (const itemId of ['B004756YJA', 'B004ZT0SSG', 'B0020MMCDE']) await r.track({ type: 'view', itemId });
    const onGpu = await r.recommend({ k: 10 });
    const change = new Promise<{ name: string; previous: string; recoveryMs: number; reason: string }>((resolve) =>
      r.addEventListener('backendchange', (e) => resolve({ name: e.backend.name, previous: e.previous.name, recoveryMs: e.recoveryMs, reason: e.backend.reason })),
    );
    const inFlight = r.recommend({ k: 10 }).then((x) => ({ ok: true, ids: x.items.map((i) => i.id) }), (e: { code?: string }) => ({ ok: false, code: e.code }));
    const lostAt = performance.now();
    workers[0]!.postMessage({ localshelfTest: 'destroy-gpu' });
    const changed = await change;
    const seenMs = performance.now() - lostAt;
    const settled = await inFlight;
    const after = await r.recommend({ k: 10 });
    const backendAfter = r.backend;
    r.dispose();
    return { before, onGpu: onGpu.items.map((i) => i.id), changed, seenMs, settled, after: after.items.map((i) => i.id), backendAfter };
  }, MODEL);
  console.log(`[device-lost] moved to WASM ${out.changed.recoveryMs.toFixed(0)} ms after the loss (page saw it after ${out.seenMs.toFixed(0)} ms)`);
  expect(out.before).toBe('webgpu');
  expect(out.changed).toMatchObject({ name: 'wasm', previous: 'webgpu' });
  expect(out.changed.reason).toMatch(/WebGPU device was lost/);
  expect(out.backendAfter.name).toBe('wasm');
  expect(out.backendAfter.skipped.map((s) => s.name)).toContain('webgpu');
  // The call in flight finished (on WASM), and later calls give the ranking WebGPU gave.
  expect(out.settled).toEqual({ ok: true, ids: out.onGpu });
  expect(out.after).toEqual(out.onGpu);
  expect(out.changed.recoveryMs).toBeLessThan(5000);
});
