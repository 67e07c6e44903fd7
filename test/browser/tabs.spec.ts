/**
 * Several tabs of one shop: three tabs tracking at once, each with its own recommender on the same history. The
 * stored history must hold every acknowledged event, each tab's in its own order, and each tab's
 * recommendations must see the others' events (workers tell each other over a BroadcastChannel).
 * `TABS_SECONDS` sets how long they track (the reliability report runs a minute; npm test a few seconds).
 */
import type { Page } from '@playwright/test';
import { expect, MODEL, test } from './fixtures';

const SECONDS = Number(process.env.TABS_SECONDS ?? 4);

test(`three tabs tracking at once for ${SECONDS} s: every acknowledged event stored in order, and each tab sees the others' events`, async ({ shop, context, server }) => {
  test.setTimeout(120_000 + SECONDS * 2000);
  const tabs: Page[] = [shop];
  for (let i = 0; i < 2; i++) {
    const p = await context.newPage();
    await p.goto(`${server.url}/index.html`);
    await p.waitForFunction(() => window.localshelfReady === true);
    tabs.push(p);
  }
  const ids = await shop.evaluate(async (model) => {
    const r = await window.localshelf.createRecommender({ model, storageName: 'tabs-probe' });
    const items = (await r.recommend({ k: 300 })).items.map((i) => i.id);
    r.dispose();
    return items;
  }, MODEL);
  await Promise.all(
    tabs.map((tab, t) =>
      tab.evaluate(
        async ({ model, t }) => {
          const w = window as unknown as { r: import('localshelf').Recommender; tab: number };
          w.r = await window.localshelf.createRecommender({ model, storageName: 'tabs' });
          w.tab = t;
        },
        { model: MODEL, t },
      ),
    ),
  );
  // Each tab tracks views of its own share of the items as fast as it can, one call at a time, for SECONDS.
  const runs = await Promise.all(
    tabs.map((tab, t) =>
      tab.evaluate(
        async ({ ids, t, ms }) => {
          const r = (window as unknown as { r: import('localshelf').Recommender }).r;
          const acknowledged: string[] = [];
          const failures: string[] = [];
          const end = performance.now() + ms;
          for (let n = 0; performance.now() < end; n++) {
            const itemId = ids[(t * 100 + n) % ids.length]!;
            const marker = `${t}:${n}`;
            await r.track({ type: 'view', itemId, timestamp: t * 1e9 + n }).then(
              () => acknowledged.push(`${marker}:${itemId}`),
              (e: { code?: string }) => failures.push(e.code ?? 'untyped'),
            );
          }
          return { acknowledged, failures };
        },
        { ids, t, ms: SECONDS * 1000 },
      ),
    ),
  );
  const stored = await shop.evaluate(async () => (window as unknown as { r: import('localshelf').Recommender }).r.history.export());
  const total = runs.reduce((n, r) => n + r.acknowledged.length, 0);
  expect(runs.flatMap((r) => r.failures)).toEqual([]);
  expect(stored).toHaveLength(Math.min(total, 10_000));
  const seqs = stored.map((e) => e.seq!);
  expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  // Each tab's events are in the store, in the order that tab had them acknowledged (timestamp = tab · 10⁹ + call).
  for (let t = 0; t < 3; t++) {
    const mine = runs[t]!.acknowledged.map((a) => Number(a.split(':')[1]));
    const inStore = stored.filter((e) => Math.floor(e.timestamp / 1e9) === t).map((e) => e.timestamp - t * 1e9);
    expect(inStore).toEqual(total <= 10_000 ? mine : mine.slice(-inStore.length));
  }
  // Visibility: an item viewed in tab 0 leaves tab 2's recommendations; measure how long that takes.
  const target = ids[299]!;
  await tabs[2]!.evaluate(async (target) => {
    const r = (window as unknown as { r: import('localshelf').Recommender }).r;
    (window as unknown as { seen: Promise<number> }).seen = (async () => {
      for (;;) {
        const rec = await r.recommend({ k: 300, omit: 'none' });
        const ex = await r.recommend({ k: 300 });
        if (rec.items.some((i) => i.id === target) && !ex.items.some((i) => i.id === target)) return performance.timeOrigin + performance.now();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
  }, target);
  const sentAt = await shop.evaluate(async (target) => {
    const r = (window as unknown as { r: import('localshelf').Recommender }).r;
    await r.track({ type: 'view', itemId: target });
    return performance.timeOrigin + performance.now();
  }, target);
  const seenAt = await tabs[2]!.evaluate(() => (window as unknown as { seen: Promise<number> }).seen);
  const latency = seenAt - sentAt;
  console.log(`[tabs] ${total} events acknowledged by 3 tabs in ${SECONDS} s (${runs.map((r) => r.acknowledged.length).join(' / ')}); an event from tab 0 left tab 2's recommendations ${latency.toFixed(0)} ms after track() resolved`);
  expect(latency).toBeLessThan(1000);
  await Promise.all(tabs.map((tab) => tab.evaluate(() => (window as unknown as { r: import('localshelf').Recommender }).r.dispose())));
});
