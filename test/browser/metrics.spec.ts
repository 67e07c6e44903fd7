/**
 * Slot metrics in real Chromium: shelves named by `slot`, their recommendationId echoed on the app's impression,
 * click, cart and purchase events, counted by `metrics()` on the device; no request leaves the page for them.
 */
import { expect, MODEL, test } from './fixtures';

test('metrics(): per-slot shelves, clicks, carts, purchases and rates from the echoed recommendationId; nothing sent', async ({ shop, server }) => {
  const before = server.requests.length;
  const out = await shop.evaluate(async (model) => {
    const r = await window.localshelf.createRecommender({ model, storageName: 'metrics' });
    await r.track({ type: 'view', itemId: 'B004756YJA' });
    const home = await r.recommend({ k: 5, slot: 'home' });
    const pdp = await r.related('B004756YJA', { k: 4 });
    const shownHome = home.items.map((i) => i.id);
    await r.track({ type: 'impression', itemIds: shownHome, recommendationId: home.recommendationId });
    await r.track({ type: 'impression', itemIds: shownHome, recommendationId: home.recommendationId });
    await r.track({ type: 'click', itemId: shownHome[1]!, recommendationId: home.recommendationId });
    await r.track({ type: 'add_to_cart', itemId: shownHome[1]!, recommendationId: home.recommendationId });
    await r.track({ type: 'impression', itemIds: pdp.items.map((i) => i.id), recommendationId: pdp.recommendationId });
    await r.track({ type: 'purchase', itemId: pdp.items[0]!.id, recommendationId: pdp.recommendationId });
    await r.track({ type: 'click', itemId: 'B004ZT0SSG' }); // not from a shelf: not counted
    const metrics = await r.metrics();
    const bad = await r.recommend({ slot: '' }).then(() => 'resolved', (e: { code?: string }) => e.code);
    const badEvent = await r.track({ type: 'click', itemId: 'x', recommendationId: 42 } as never).then(() => 'resolved', (e: { code?: string }) => e.code);
    r.dispose();
    return { metrics, homeId: home.recommendationId, pdpId: pdp.recommendationId, bad, badEvent };
  }, MODEL);
  expect(out.homeId).toMatch(/^home#/);
  expect(out.pdpId).toMatch(/^related#/);
  expect(out.metrics.slots).toEqual({
    home: { shelves: 2, itemsShown: 10, clicks: 1, addToCart: 1, purchases: 0, ctr: 0.5, cartRate: 0.5, purchaseRate: 0 },
    related: { shelves: 1, itemsShown: 4, clicks: 0, addToCart: 0, purchases: 1, ctr: 0, cartRate: 0, purchaseRate: 1 },
  });
  expect(out.bad).toBe('INVALID_ARGUMENT');
  expect(out.badEvent).toBe('INVALID_EVENT');
  // Only the page's own file downloads reached the server: no POST, no body, no query string.
  expect(server.requests.slice(before).filter((r) => r.method !== 'GET' || r.body.length > 0 || r.url.includes('?'))).toEqual([]);
});
