/**
 * Business rules in real Chromium over a catalog with attributes (fixtures' ATTRS_MODEL: the shipped model,
 * catalog.json with brand, category, price and inStock added): filters, boosts, pins, caps and MMR on
 * recommend() and related(), full top-k when enough items qualify, typed errors for unknown attributes.
 */
import { ATTRS_MODEL, expect, test } from './fixtures';

test('rules on recommend() and related(): filters, boosts, pins, a cap per brand, MMR; typed errors', async ({ shop }) => {
  const out = await shop.evaluate(async (model) => {
    const r = await window.localshelf.createRecommender({ model, storageName: 'rules' });
    for (const itemId of ['B004756YJA', 'B004ZT0SSG']) await r.track({ type: 'view', itemId });
    const ids = (x: { items: { id: string }[] }) => x.items.map((i) => i.id);
    const plain = await r.recommend({ k: 20 });
    const nails = await r.recommend({ k: 20, rules: { where: { category: { prefix: 'Beauty > Nails' }, inStock: true, price: { max: 20 } } } });
    const boosted = await r.recommend({ k: 10, rules: { boost: [{ where: { brand: 'Delta' }, add: 1000 }] } });
    const pin = ids(plain)[15]!;
    const pinned = await r.recommend({ k: 10, rules: { pin: [{ itemId: pin, position: 2 }] } });
    const capped = await r.recommend({ k: 10, rules: { diversity: { maxPer: { attribute: 'brand', count: 2 } } } });
    const mmr = await r.recommend({ k: 10, rules: { diversity: { lambda: 0.5 } } });
    const related = await r.related('B004756YJA', { k: 10, rules: { where: { brand: 'Gamma' } } });
    const found = await r.search('nail polish', { k: 10, rules: { where: { brand: 'Alpha' } } });
    const searchBoost = await r.search('nail polish', { rules: { boost: [] } } as never).then(() => 'resolved', (e: { code?: string }) => e.code ?? 'untyped');
    const popular = await (async () => {
      await r.history.clear();
      return r.recommend({ k: 10, rules: { where: { brand: 'Beta' } } });
    })();
    const codes: string[] = [];
    for (const rules of [{ where: { colour: 'red' } }, { pin: [{ itemId: 'nope', position: 0 }] }, { diversity: { lambda: 3 } }]) {
      codes.push(await r.recommend({ rules } as never).then(() => 'resolved', (e: { code?: string }) => e.code ?? 'untyped'));
    }
    r.dispose();
    return { found: ids(found), searchBoost, pin, plain: ids(plain), nails: nails.items, boosted: ids(boosted), pinned: ids(pinned), capped: ids(capped), mmr: ids(mmr), related: ids(related), popular, codes };
  }, ATTRS_MODEL);
  // The attributes the fixture gave each catalog row.
  const catalog = await shop.evaluate(async () => (await (await fetch('/attrs/catalog.json')).json()) as { items: { id: string; brand: string; category: string; price: number; inStock: boolean }[] });
  const attrs = new Map(catalog.items.map((i) => [i.id, i]));
  expect(out.nails).toHaveLength(20);
  for (const i of out.nails) expect(attrs.get(i.id)).toMatchObject({ category: 'Beauty > Nails', inStock: true });
  for (const i of out.nails) expect(attrs.get(i.id)!.price).toBeLessThanOrEqual(20);
  expect(out.boosted.every((id) => attrs.get(id)!.brand === 'Delta')).toBe(true);
  expect(out.pinned[2]).toBe(out.pin);
  expect(out.pinned.filter((id) => id !== out.pin)).toEqual(out.plain.slice(0, 9));
  const perBrand = new Map<string, number>();
  for (const id of out.capped) perBrand.set(attrs.get(id)!.brand, (perBrand.get(attrs.get(id)!.brand) ?? 0) + 1);
  expect(out.capped).toHaveLength(8); // four brands, two each
  expect(Math.max(...perBrand.values())).toBe(2);
  expect(out.mmr).toHaveLength(10);
  expect(out.mmr[0]).toBe(out.plain[0]);
  expect(out.mmr).not.toEqual(out.plain.slice(0, 10));
  expect(out.related).toHaveLength(10);
  expect(out.related.every((id) => attrs.get(id)!.brand === 'Gamma')).toBe(true);
  expect(out.found.length).toBeGreaterThan(0);
  expect(out.found.every((id) => attrs.get(id)!.brand === 'Alpha')).toBe(true);
  expect(out.searchBoost).toBe('INVALID_ARGUMENT');
  expect(out.popular.source).toBe('popular');
  expect(out.popular.items.every((i) => attrs.get(i.id)!.brand === 'Beta')).toBe(true);
  expect(out.codes).toEqual(['INVALID_ARGUMENT', 'UNKNOWN_ITEM', 'INVALID_ARGUMENT']);
});
