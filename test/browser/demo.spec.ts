/**
 * The demo storefront (examples/storefront), driven as a shopper would drive it: built against dist/ with
 * Vite in app mode, served by the repository's static server, real worker, real IndexedDB, the shipped model.
 * Screenshots are kept under test-results/ (each test's output folder) and attached to the report.
 *
 * The egress audit sends the browser through a recording proxy, so every request that leaves it is logged,
 * the module worker's included, and checks that unique canary ids seeded into the history never leave.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { cardIds, expect, HOME, manifest, MODEL_NAME, test } from './demo-fixtures';
import { CHROMIUM_ARGS } from '../../playwright.config';
import { findCanaries, startRecordingProxy } from './demo-proxy';

test.use({
  viewport: { width: 1280, height: 900 },
  // Chromium's own services are off so the egress audit sees the shop alone: with them on, typing into the
  // search box makes Chromium ask content-autofill.googleapis.com about the form (a CONNECT the proxy refuses).
  launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS, '--disable-features=AutofillServerCommunication'] },
});

const repo = fileURLToPath(new URL('../..', import.meta.url));
const NAILS = /nail|polish|lacquer|manicure|cuticle|pedicure/i;

/** Waits for the "Recommended for you" shelf to be filled from the recommender and returns its product ids. */
async function shelf(page: Page, source: 'popular' | 'personal'): Promise<string[]> {
  const section = page.getByTestId('shelf-recommended');
  await expect(section).toHaveAttribute('data-source', source, { timeout: 90_000 });
  return cardIds(section);
}

async function titlesOf(page: Page, ids: readonly string[]): Promise<string[]> {
  return Promise.all(ids.map((id) => page.locator(`a.card[data-id="${id}"] .card-title`).first().textContent().then((t) => t ?? '')));
}

test('a shopper searches, opens products, adds to cart, reloads, and sees, exports and deletes their history', async ({ page, demo, shot }, testInfo) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  // First visit: the model downloads behind a progress bar while the shop is already browsable.
  demo.settings.modelDelayMs = 3_000;
  await page.goto(`${demo.url}${HOME}`);
  const progress = page.getByTestId('model-progress');
  await expect(progress).toContainText('Getting recommendations ready on your device');
  await expect(page.getByTestId('engine-pill')).toContainText('Loading model');
  await expect(page.getByTestId('bestsellers-skin-care').locator('a.card')).toHaveCount(6);
  await shot(page, '01-first-visit-model-loading');
  demo.settings.modelDelayMs = 0;

  const popular = await shelf(page, 'popular');
  expect(popular).toHaveLength(6);
  await expect(page.getByTestId('shelf-recommended')).toContainText('Popular with shoppers');
  await expect(progress).toBeHidden();
  await expect(page.getByTestId('engine-pill')).toHaveText('On-device AI');
  await expect(page.getByTestId('recently-viewed')).toBeHidden();
  await expect(page.getByTestId('attribution')).toContainText('J. McAuley, UCSD');
  await shot(page, '02-home-new-shopper');

  // Search from the header.
  await page.getByTestId('search-input').fill('nail polish');
  await page.getByTestId('search-input').press('Enter');
  const results = page.getByTestId('grid-search').locator('a.card');
  await expect(results.first()).toBeVisible();
  await expect(page.getByTestId('search-results')).toHaveAttribute('data-by', 'localshelf'); // recommender.search()
  const resultTitles = await results.locator('.card-title').allTextContents();
  expect(resultTitles.length).toBeGreaterThanOrEqual(10);
  expect(resultTitles.slice(0, 10).filter((t) => NAILS.test(t)).length).toBeGreaterThanOrEqual(8);
  await shot(page, '03-search-nail-polish');

  // Open the top result and put it in the cart, then browse on through the product pages' related shelves.
  const picked: { id: string; title: string }[] = [{ id: (await results.first().getAttribute('data-id'))!, title: resultTitles[0]! }];
  await results.first().click();
  for (let i = 0; ; i++) {
    const { id, title } = picked[i]!;
    await expect(page.getByTestId('product-page')).toHaveAttribute('data-id', id);
    await expect(page.getByTestId('product-title')).toHaveText(title);
    const related = page.getByTestId('shelf-related');
    await expect(related).toHaveAttribute('data-source', 'also'); // related(): what shoppers went on to
    const relatedIds = await cardIds(related);
    expect(relatedIds).toHaveLength(6);
    expect(relatedIds).not.toContain(id); // related() never returns the product itself
    if (i === 0) {
      await page.getByTestId('add-to-cart').click();
      await expect(page.getByTestId('add-to-cart')).toHaveText('In your cart ✓');
      await expect(page.getByTestId('cart-count')).toHaveText('1');
      await shot(page, '04-product-page-added-to-cart');
    }
    if (i === 2) break;
    const next = relatedIds.find((r) => !picked.some((p) => p.id === r))!;
    const card = related.locator(`a.card[data-id="${next}"]`);
    picked.push({ id: next, title: (await card.locator('.card-title').textContent())! });
    await card.click();
  }

  // Back on the front page the shelf is personal, explains itself, and is about nails now.
  await page.locator('a.logo').click();
  const personal = await shelf(page, 'personal');
  expect(personal).toHaveLength(6);
  expect(personal).not.toEqual(popular);
  for (const p of picked) expect(personal).not.toContain(p.id); // in the cart or under "Recently viewed"
  const lead = page.getByTestId('shelf-recommended').locator('.lead');
  await expect(lead).toContainText('Because you viewed');
  // Each personal pick names the history item the library found closest to it.
  await expect(page.getByTestId('shelf-recommended').getByTestId('card-because').first()).toContainText('Because you viewed');
  await expect(lead.locator('a.because-item').first()).toHaveAttribute('href', `#/product/${picked[2]!.id}`); // newest first
  if (MODEL_NAME === 'beauty') {
    // The shipped model has learned what goes with nail polish (a smoke-test model has not).
    const personalTitles = await titlesOf(page, personal);
    expect(personalTitles.filter((t) => NAILS.test(t)).length, personalTitles.join('\n')).toBeGreaterThanOrEqual(3);
  }
  expect(await cardIds(page.getByTestId('recently-viewed'))).toEqual([picked[2]!.id, picked[1]!.id, picked[0]!.id]);
  await shot(page, '05-home-personal-shelf');

  // A reload keeps the history (IndexedDB) and the cart (localStorage): a personal shelf, the same recently viewed.
  // (The shelf itself may move: every shelf shown was reported as impressions, and items passed over more than
  // twice give way, the feedback loop.)
  await page.reload();
  const afterReload = await shelf(page, 'personal');
  expect(afterReload).toHaveLength(6);
  for (const p of picked) expect(afterReload).not.toContain(p.id);
  expect(await cardIds(page.getByTestId('recently-viewed'))).toEqual([picked[2]!.id, picked[1]!.id, picked[0]!.id]);
  await expect(page.getByTestId('cart-count')).toHaveText('1');
  await shot(page, '06-home-after-reload');

  // A category page: the shopper's own ranking, filtered in the worker to the category (rules.where on the
  // catalog's `category` path): a full shelf of hair products for a shopper who has only looked at nails.
  if (MODEL_NAME === 'beauty') {
    const catalog = JSON.parse(readFileSync(`${repo}/public/models/beauty/catalog.json`, 'utf8')) as { items: { id: string; category?: string }[] };
    const categoryOf = new Map(catalog.items.map((i) => [i.id, i.category]));
    await page.locator('nav.chips a.chip', { hasText: 'Hair' }).click();
    const hair = page.getByTestId('shelf-category');
    await expect(hair).toHaveAttribute('data-source', 'personal', { timeout: 90_000 });
    const hairIds = await cardIds(hair);
    expect(hairIds).toHaveLength(6);
    expect(hairIds.map((id) => categoryOf.get(id))).toEqual(Array(6).fill('Beauty > Hair'));
    await expect(hair.locator('.lead')).toContainText('Because you viewed');
    await shot(page, '06b-category-shelf');
    await page.locator('a.logo').click();
  }

  // Check out: the purchase is recorded and the bought product is not recommended any more.
  await page.getByTestId('nav-cart').click();
  await expect(page.locator('.cart-row')).toHaveCount(1);
  await expect(page.locator('.cart-row')).toHaveAttribute('data-id', picked[0]!.id);
  await shot(page, '07-cart');
  await page.getByTestId('place-order').click();
  await expect(page.getByTestId('cart')).toContainText('Thank you');
  await expect(page.getByTestId('cart-count')).toHaveText('0');
  await page.locator('a.logo').click();
  expect(await shelf(page, 'personal')).not.toContain(picked[0]!.id);

  // The privacy panel shows the history, exports it, and deletes it.
  await page.getByTestId('nav-privacy').click();
  await expect(page.getByTestId('privacy-statement')).toContainText('Nothing leaves the device.');
  await expect(page.getByTestId('backend-status')).toContainText('WebAssembly');
  await expect(page.getByTestId('adapter-status')).toContainText('No adapter channel configured');
  await expect(page.getByTestId('model-status')).toContainText(`${manifest().numItems.toLocaleString('en-US')} products`);
  const table = page.getByTestId('history-table');
  await expect(table.locator('tbody tr').filter({ hasText: 'Bought' }).first()).toBeVisible();
  await expect(table).toContainText('Was shown'); // the shelves, reported as impressions
  // This browser's shelf metrics: the home shelf and the product pages' shelves, with the two clicks on related picks.
  const metrics = page.getByTestId('metrics-table');
  await expect(metrics.locator('tr[data-slot="home"]')).toBeVisible();
  await expect(metrics.locator('tr[data-slot="product-page"] td').nth(2)).toHaveText('2');
  await expect(table).toContainText('“nail polish”');
  await expect(table).toContainText('Clicked');
  for (const p of picked) await expect(table.locator(`a[href="#/product/${p.id}"]`).first()).toBeVisible();
  await shot(page, '08-privacy-panel');

  const download = page.waitForEvent('download');
  await page.getByTestId('export-history').click();
  const file = testInfo.outputPath('history-export.json');
  await (await download).saveAs(file);
  const exported = JSON.parse(readFileSync(file, 'utf8')) as { events: { type: string; itemId?: string; query?: string; timestamp: number }[] };
  const items = (type: string): string[] => exported.events.filter((e) => e.type === type).map((e) => e.itemId!);
  expect(items('view')).toEqual(picked.map((p) => p.id));
  expect(items('click')).toEqual([picked[1]!.id, picked[2]!.id]); // clicks on recommended products
  expect(items('add_to_cart')).toEqual([picked[0]!.id]);
  expect(items('purchase')).toEqual([picked[0]!.id]);
  expect(exported.events.filter((e) => e.type === 'search').map((e) => e.query)).toEqual(['nail polish']);
  await expect(page.getByTestId('history-summary')).toContainText(`holds ${exported.events.length} events`);
  await expect(table.locator('tbody tr')).toHaveCount(exported.events.length);

  await page.getByTestId('delete-history').click();
  await page.getByTestId('confirm-delete').click();
  await expect(page.getByTestId('deleted-notice')).toBeVisible();
  await expect(page.getByTestId('history-summary')).toContainText('Your history is empty');
  await expect(page.getByTestId('history-table')).toHaveCount(0);
  await shot(page, '09-history-deleted');

  // Deleted for good: after a reload the shop is back to what a new shopper sees.
  await page.goto(`${demo.url}${HOME}`);
  await page.reload();
  expect(await shelf(page, 'popular')).toEqual(popular);
  await expect(page.getByTestId('recently-viewed')).toBeHidden();
  await expect(page.getByTestId('cart-count')).toHaveText('0');
  // Nothing of the old history is back; the only events are the impressions of the shelves shown since.
  const since = await page.evaluate(async () => (await window.storefront!.ready).history.export());
  expect(since.filter((e) => e.type !== 'impression')).toEqual([]);
  expect(errors).toEqual([]);
});

test('egress audit: canary ids seeded into the history never leave the browser, worker traffic included', async ({ browser, demo }, testInfo) => {
  test.setTimeout(300_000);
  const proxy = await startRecordingProxy({ allowOrigin: demo.url });
  const context = await browser.newContext({ proxy: { server: proxy.url }, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const pageEvents: string[] = [];
  context.on('request', (r) => pageEvents.push(`${r.method()} ${r.url()}`));
  try {
    await page.goto(`${demo.url}${HOME}`);
    await shelf(page, 'popular');
    const served = demo.requests.length;
    const before = proxy.requests.length;
    // the encoder the worker runs: the LoRA-free one when the folder has it (the demo has no adapter channel)
    const { encoder: full, encoderBase } = manifest().files as { encoder: string; encoderBase?: string };
    const encoder = encoderBase ?? full;
    // The proxy is on the path of the worker's own downloads (only the worker fetches the encoder).
    expect(proxy.requests.map((r) => new URL(r.url).pathname)).toContain(`/models/${MODEL_NAME}/${encoder}`);

    // Seed: canary item ids under every event type, an impression, and a canary search typed into the box.
    const tag = randomBytes(6).toString('hex').toUpperCase();
    const canaryItems = [1, 2, 3].map((n) => `CANARY${tag}${n}`);
    const canaryQuery = `canaryq${tag.toLowerCase()}`;
    const canaries = [...canaryItems, canaryQuery];
    await page.evaluate(async (ids) => {
      const r = await window.storefront!.ready;
      for (const itemId of ids) for (const type of ['view', 'click', 'add_to_cart', 'purchase'] as const) await r.track({ type, itemId });
      await r.track({ type: 'impression', itemIds: ids });
    }, canaryItems);
    await page.getByTestId('search-input').fill(canaryQuery);
    await page.getByTestId('search-input').press('Enter');
    await expect(page.getByTestId('search-results')).toHaveAttribute('data-by', 'localshelf');
    await expect(page.getByTestId('search-results')).toContainText(canaryQuery);

    // Then shop as usual: every feature runs with the canaries in the history.
    await page.getByTestId('search-input').fill('shampoo');
    await page.getByTestId('search-input').press('Enter');
    await page.getByTestId('grid-search').locator('a.card').first().click();
    await expect(page.getByTestId('shelf-related')).toHaveAttribute('data-source', 'also');
    await page.getByTestId('add-to-cart').click();
    await page.locator('a.logo').click();
    await shelf(page, 'personal');
    await page.getByTestId('nav-privacy').click();
    const download = page.waitForEvent('download');
    await page.getByTestId('export-history').click();
    const exported = readFileSync(await (await download).path(), 'utf8');
    for (const c of canaries) expect(exported).toContain(c); // the canaries are in the history the audit watches
    await expect(page.getByTestId('history-table')).toContainText(canaryItems[0]!);

    // A reload: the page and the worker download everything again, now with the canaries stored.
    await page.reload();
    await expect(page.getByTestId('history-table')).toContainText(canaryQuery);
    await page.locator('a.logo').click();
    await shelf(page, 'personal');
    await page.getByTestId('nav-cart').click();
    await page.getByTestId('place-order').click();
    await expect(page.getByTestId('cart')).toContainText('Thank you');

    const after = proxy.requests.slice(before);
    const log = { canaries, proxy: proxy.requests, server: demo.requests.slice(served), pageEvents };
    writeFileSync(testInfo.outputPath('egress-log.json'), JSON.stringify(log, null, 1));
    await testInfo.attach('egress-log', { path: testInfo.outputPath('egress-log.json'), contentType: 'application/json' });

    // The worker's downloads after the seeding were recorded too.
    expect(after.map((r) => new URL(r.url).pathname)).toContain(`/models/${MODEL_NAME}/${encoder}`);
    // Nothing went anywhere but the shop's own origin, and nothing was uploaded.
    expect(proxy.requests.filter((r) => !r.forwarded).map((r) => `${r.method} ${r.url}`)).toEqual([]);
    expect(after.filter((r) => r.method !== 'GET' || r.body !== '').map((r) => `${r.method} ${r.url}`)).toEqual([]);
    expect(proxy.requests.filter((r) => r.headers.cookie !== undefined).map((r) => r.url)).toEqual([]);
    // No canary in any URL, header or body, as the proxy saw them or as the server received them.
    expect(findCanaries(proxy.requests, canaries)).toEqual([]);
    expect(findCanaries(demo.requests, canaries)).toEqual([]);
    // Nothing reached the server around the proxy.
    const path = (u: string): string => new URL(u, demo.url).pathname + new URL(u, demo.url).search;
    expect(demo.requests.slice(served).map((r) => path(r.url)).sort()).toEqual(after.map((r) => path(r.url)).sort());

    // Control: a leak from a worker would be caught (so the checks above can fail).
    await page.evaluate(async (canary) => {
      const url = JSON.stringify(new URL('/egress-control', location.href).href); // a blob worker has no base URL
      const source = `fetch(${url}, { method: 'POST', headers: { 'x-probe': ${JSON.stringify(canary)} }, body: JSON.stringify({ id: ${JSON.stringify(canary)} }) }).finally(() => postMessage('sent'));`;
      const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
      await new Promise((ok) => (worker.onmessage = ok));
      worker.terminate();
    }, canaryItems[0]!);
    const leaks = findCanaries(proxy.requests, canaries);
    expect(leaks.length).toBeGreaterThan(0);
    expect(leaks.every((l) => l.startsWith('POST ') && l.includes('/egress-control'))).toBe(true);
  } finally {
    await context.close();
    await proxy.close();
  }
});
