/**
 * Item-table updates through the signed channel in real headless Chromium (docs/adapter-format.md, format
 * version 2): a release that replaces rows of the int8 item matrix, adds new products with their catalog
 * entries, removes a product and carries LoRA + bias. The page's ranking must equal an onnxruntime-node oracle of
 * base + update (adapter-oracle.ts writes the rows into its own matrix copy); the new products are found by
 * search, recommendable, and still there after a reload (restored from IndexedDB, as are `catalog.add()`
 * products); updates whose rows fit another item matrix, or whose "new" products are already in the catalog,
 * are rejected with a typed error and the installed update stays; a later LoRA-only release rolls the rows back.
 */
import type { Page } from '@playwright/test';
import type { Recommender } from '../../src/index';
import { randomAdapterInput, seededRandom } from '../../tools/lib/random-adapter';
import { ITEM_BIAS, type EncodeAdapterInput } from '../../workers/adapters/format';
import { openChannel, type TestChannel } from './adapter-channel';
import { loadBeauty, type BeautyModel, type OracleRanking } from './adapter-oracle';
import { expect, MODEL, test } from './fixtures';

declare global {
  interface Window {
    shelf?: Recommender;
  }
}

const NAILS = ['B004756YJA', 'B004ZT0SSG'];
let beauty: BeautyModel;
test.beforeAll(async () => {
  beauty = await loadBeauty();
});
test.afterAll(async () => beauty?.close());

/**
 * An update built from the base ranking for NAILS: its top item removed, the row of a far-away item replaced by
 * the second item's row (lifted), two new products (one on the third item's row, one elsewhere), LoRA + bias.
 */
function itemUpdate(version: number, base: OracleRanking, over: Partial<EncodeAdapterInput> = {}): EncodeAdapterInput {
  const n = beauty.manifest.numItems;
  const dim = beauty.manifest.dim;
  const rowOf = (id: string) => beauty.ids.indexOf(id);
  const far = beauty.ids[7000]!;
  const lifted = beauty.row(base.ids[1]!);
  const newNails = beauty.row(base.ids[2]!);
  const other = beauty.row(beauty.ids[4000]!);
  const q = new Int8Array(3 * dim);
  q.set(lifted.q, 0);
  q.set(newNails.q, dim);
  q.set(other.q, 2 * dim);
  const bias = new Float32Array(n + 2);
  bias[n] = 0.5; // the new nail product
  const lora = randomAdapterInput(beauty.binding, version, seededRandom(11), { scale: 0.1 });
  return {
    ...lora,
    baseItems: beauty.binding.baseItems,
    newItems: [
      { id: 'LS-UPD-NAIL', title: 'Aurora Glaze Nail Lacquer Limited Edition', popularity: 1, category: 'Beauty > Nails' },
      { id: 'LS-UPD-OIL', title: 'Cedarwood Beard Oil Travel Size' },
    ],
    tensors: [
      ...lora.tensors,
      { name: 'items.rows', dims: [1], data: Int32Array.of(rowOf(far)) },
      { name: 'items.q', dims: [3, dim], data: q },
      { name: 'items.scale', dims: [3], data: Float32Array.of(lifted.scale * 1.05, newNails.scale * 1.02, other.scale) },
      { name: 'items.removed', dims: [1], data: Int32Array.of(rowOf(base.ids[0]!)) },
      { name: ITEM_BIAS, dims: [n + 2], data: bias },
    ],
    ...over,
  };
}

async function start(page: Page, channel: TestChannel): Promise<void> {
  await page.evaluate(
    async ({ model, url, root }) => {
      window.shelf = await window.localshelf.createRecommender({ model, storageName: 'item-updates', adapters: { url, root, initialDelayMs: 3_600_000, intervalMs: 3_600_000 } });
    },
    { model: MODEL, url: channel.url, root: channel.rootJson },
  );
}
const recommend = (page: Page) =>
  page.evaluate(async () => {
    const r = await window.shelf!.recommend({ k: 10 });
    return { ids: r.items.map((i) => i.id), scores: r.items.map((i) => i.score) };
  });
const sync = (page: Page) =>
  page.evaluate(() => window.shelf!.sync().then((r) => ({ version: r.adapter?.version ?? null, code: null }), (e: { code?: string }) => ({ version: window.shelf!.adapter?.version ?? null, code: e.code ?? 'untyped' })));
const search = (page: Page, q: string) =>
  page.evaluate(async (q) => (await window.shelf!.search(q, { k: 5, personalize: false })).items.map((i) => ({ id: i.id, added: i.added ?? false })), q);

/** Same items and order as the oracle, scores within 5e-4 (adapters.spec.ts explains the bound). */
function expectRanking(actual: { ids: string[]; scores: number[] }, expected: OracleRanking): void {
  expect(actual.ids).toEqual(expected.ids);
  actual.scores.forEach((s, i) => expect(Math.abs(s - expected.scores[i]!), `score at ${i}`).toBeLessThan(5e-4));
}

test('an update with changed rows, new products and a removed one ranks as base + update; new products are found, recommendable and kept across a reload; mismatched deltas are rejected; a LoRA-only release rolls the rows back', async ({ shop }) => {
  test.setTimeout(180_000);
  // The publisher is not told the base items hash: the client's own binding check is what rejects v2 below.
  const { baseItems: _notChecked, ...publisherBinding } = beauty.binding;
  const channel = await openChannel(publisherBinding);
  try {
    const base = await beauty.recommend(NAILS);
    const v1 = itemUpdate(1, base);
    const expected = await beauty.recommend(NAILS, v1);
    expect(expected.ids).toContain('LS-UPD-NAIL'); // the test means something: the update changes the shelf
    expect(expected.ids).toContain(beauty.ids[7000]);
    expect(expected.ids).not.toContain(base.ids[0]);
    await channel.publish(v1);
    await start(shop, channel);
    await shop.evaluate(async (ids) => {
      for (const itemId of ids) await window.shelf!.track({ type: 'view', itemId });
    }, NAILS);
    expectRanking(await recommend(shop), base);
    expect(await sync(shop)).toEqual({ version: 1, code: null });
    expectRanking(await recommend(shop), expected);
    expect((await search(shop, 'aurora glaze'))[0]).toEqual({ id: 'LS-UPD-NAIL', added: true });
    expect((await search(shop, 'cedarwood beard oil')).map((h) => h.id)).toContain('LS-UPD-OIL');
    expect((await search(shop, base.ids[0]!.toLowerCase())).map((h) => h.id)).not.toContain(base.ids[0]); // removed: not found either
    const onNewPage = await shop.evaluate(async () => (await window.shelf!.related('LS-UPD-NAIL', { k: 5, mode: 'similar' })).items.length);
    expect(onNewPage).toBe(5);
    const removedPage = await shop.evaluate((id) => window.shelf!.related(id, { k: 5 }).then(() => 'resolved', (e: { code?: string }) => e.code), base.ids[0]!);
    expect(removedPage).toBe('UNKNOWN_ITEM');
    const added = await shop.evaluate(() => window.shelf!.catalog.add([{ id: 'LS-PAGE-MIST', title: 'Zephyr Mist Setting Spray' }]));
    expect(added.added).toBe(1);

    // Reload: the update comes back from IndexedDB (no download), and so does the product the page added.
    const gets = channel.adapterGets().length;
    await shop.reload();
    await shop.waitForFunction(() => window.localshelfReady === true);
    await start(shop, channel);
    expect(await shop.evaluate(() => window.shelf!.adapter?.version ?? null)).toBe(1);
    expect(channel.adapterGets().length).toBe(gets);
    expectRanking(await recommend(shop), expected);
    expect((await search(shop, 'aurora glaze'))[0]).toEqual({ id: 'LS-UPD-NAIL', added: true });
    expect((await search(shop, 'zephyr mist'))[0]).toEqual({ id: 'LS-PAGE-MIST', added: true });

    // Rows for another items.lsim, and "new" products the catalog already has: rejected, v1 stays and ranks as before.
    await channel.publish(itemUpdate(2, base, { baseItems: 'c'.repeat(64) }));
    expect(await sync(shop)).toEqual({ version: 1, code: 'ADAPTER_BASE_MISMATCH' });
    await channel.publish(itemUpdate(3, base, { newItems: [{ id: beauty.ids[10]!, title: 'Not new' }, { id: 'LS-UPD-OIL', title: 'Cedarwood Beard Oil Travel Size' }] }));
    expect(await sync(shop)).toEqual({ version: 1, code: 'ADAPTER_MALFORMED' });
    expectRanking(await recommend(shop), expected);

    // A LoRA-only release replaces the item update as a whole: the model's own rows again, the new products gone.
    const v4 = randomAdapterInput(beauty.binding, 4, seededRandom(12), { scale: 0.1 });
    await channel.publish(v4);
    expect(await sync(shop)).toEqual({ version: 4, code: null });
    expectRanking(await recommend(shop), await beauty.recommend(NAILS, v4));
    expect((await search(shop, 'aurora glaze')).map((h) => h.id)).not.toContain('LS-UPD-NAIL');
    expect((await search(shop, 'zephyr mist'))[0]).toEqual({ id: 'LS-PAGE-MIST', added: true }); // the page's own stays
  } finally {
    await channel.close();
  }
});
