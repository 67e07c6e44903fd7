/**
 * A long session in one page: `LONG_CALLS` recommend() and as many track() calls (20,000 each in the reliability
 * report, 2,000 in npm test). The heaps of the page and of the worker, measured after a forced GC, must stay flat
 * after warm-up, the event listeners on window and document and the number of workers must not grow, and dispose()
 * must end the worker.
 */
import { workerHeaps } from '../../tools/lib/worker-heaps';
import { expect, MODEL, test } from './fixtures';

const CALLS = Number(process.env.LONG_CALLS ?? 2000);

test.use({ launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--js-flags=--expose-gc'] } });

test(`${CALLS} recommend() and ${CALLS} track() calls: page and worker heaps flat after warm-up, no listener or worker added; dispose() ends the worker`, async ({ shop, browser }) => {
  test.setTimeout(120_000 + CALLS * 20);
  await shop.evaluate(async (model) => {
    const w = window as unknown as { r: import('localshelf').Recommender; ids: string[] };
    w.r = await window.localshelf.createRecommender({ model, storageName: 'long' });
    w.ids = (await w.r.recommend({ k: 500 })).items.map((i) => i.id);
  }, MODEL);
  const workers = await workerHeaps(browser);
  expect(workers.size).toBe(1); // this test's recommender is the browser's only worker
  const heaps = async () => {
    const page = await shop.evaluate(() => {
      (globalThis as unknown as { gc?: () => void }).gc?.();
      return (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? Number.NaN;
    });
    return { page, worker: [...(await workerHeaps(browser)).values()][0] ?? Number.NaN };
  };
  const run = (n: number, from: number) =>
    shop.evaluate(
      async ({ n, from }) => {
        const { r, ids } = window as unknown as { r: import('localshelf').Recommender; ids: string[] };
        const started = performance.now();
        for (let i = from; i < from + n; i++) {
          await r.track({ type: i % 7 === 0 ? 'click' : 'view', itemId: ids[i % ids.length]! });
          await r.recommend({ k: 10 });
        }
        return performance.now() - started;
      },
      { n, from },
    );
  // Open handles the page can see: event listeners on window and document (CDP DOMDebugger), and live workers.
  const pageCdp = await shop.context().newCDPSession(shop);
  const listeners = async () => {
    let n = 0;
    for (const expression of ['window', 'document']) {
      const { result } = (await pageCdp.send('Runtime.evaluate', { expression })) as { result: { objectId: string } };
      n += ((await pageCdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId })) as { listeners: unknown[] }).listeners.length;
    }
    return n;
  };
  const warm = Math.max(200, Math.round(CALLS / 10));
  await run(warm, 0);
  const before = await heaps();
  const listenersBefore = await listeners();
  const ms = await run(CALLS - warm, warm);
  const after = await heaps();
  const listenersAfter = await listeners();
  await pageCdp.detach();
  expect(listenersAfter).toBe(listenersBefore);
  expect((await workerHeaps(browser)).size).toBe(1);
  const growth = { page: after.page - before.page, worker: after.worker - before.worker };
  const mb = (b: number) => (b / 1e6).toFixed(2);
  console.log(
    `[long-session] ${CALLS} track + ${CALLS} recommend (${((CALLS - warm) / (ms / 1000)).toFixed(0)} pairs/s after warm-up); ` +
      `page heap ${mb(before.page)} → ${mb(after.page)} MB, worker heap ${mb(before.worker)} → ${mb(after.worker)} MB; ` +
      `event listeners on window + document ${listenersBefore} → ${listenersAfter}, 1 worker`,
  );
  expect(Number.isFinite(before.worker) && Number.isFinite(before.page)).toBe(true);
  // Flat: the history cap (10,000 events) and the profile bound what is kept; allow 2 MB of noise.
  expect(growth.page).toBeLessThan(2e6);
  expect(growth.worker).toBeLessThan(2e6);
  await shop.evaluate(() => (window as unknown as { r: import('localshelf').Recommender }).r.dispose());
  await expect.poll(async () => (await workerHeaps(browser)).size).toBe(0);
});
