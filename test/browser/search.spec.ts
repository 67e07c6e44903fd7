/**
 * Search end to end in real headless Chromium: built package, real worker, transformers.js text encoder on the
 * worker's onnxruntime-web, MiniSearch index persisted in IndexedDB, the shipped Beauty model.
 */
import { expect, MODEL as SHIPPED, test } from './fixtures';

const MODEL = process.env.LOCALSHELF_SEARCH_MODEL ?? SHIPPED;

test('a typed query returns matching products, each saying why', async ({ shop }) => {
  const out = await shop.evaluate(async (model) => {
    const r = await window.localshelf.createRecommender({ model, storageName: 'search-basic' });
    const info = r.model;
    const result = await r.search('nail polish', { k: 10 });
    const typed = await r.search('shampo', { k: 5 }); // a typo, and search as you type
    const ready = (r as unknown as { backend: unknown }).backend;
    r.dispose();
    return { info, result, typed, ready };
  }, MODEL);
  expect(out.result.items).toHaveLength(10);
  const nail = (t: string): boolean => /nail|polish|lacquer|manicure/i.test(t);
  expect(out.result.items.filter((i) => nail(i.title)).length).toBeGreaterThanOrEqual(8);
  for (const item of out.result.items) {
    expect(item.id).toMatch(/^[A-Z0-9]{10}$/);
    expect(item.why.matchedTerms.length + (item.why.semantic > 0 ? 1 : 0)).toBeGreaterThan(0);
  }
  expect(out.result.items[0]!.why.matchedTerms).toEqual(expect.arrayContaining(['nail']));
  expect(out.result.personalized).toBe(false);
  expect(out.typed.items.length).toBeGreaterThan(0);
  expect(out.typed.items.filter((i) => /shampoo/i.test(i.title)).length).toBeGreaterThanOrEqual(3);
});
