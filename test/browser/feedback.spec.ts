/**
 * The feedback loop in real Chromium: a shelf shown three times without a reaction is demoted, `feedback: false`
 * gives the plain ranking, a click on a shown item clears its count, and an exploration slot draws from below.
 */
import { expect, MODEL, test } from './fixtures';

test('items shown three times and passed over give way; feedback: false and a click undo it; explore draws from below', async ({ shop }) => {
  const out = await shop.evaluate(async (model) => {
    const r = await window.localshelf.createRecommender({ model, storageName: 'feedback' });
    for (const itemId of ['B004756YJA', 'B004ZT0SSG']) await r.track({ type: 'view', itemId });
    const ids = (x: { items: { id: string }[] }) => x.items.map((i) => i.id);
    const first = ids(await r.recommend({ k: 10 }));
    const rounds: string[][] = [first];
    for (let i = 0; i < 3; i++) {
      await r.track({ type: 'impression', itemIds: rounds.at(-1)! });
      rounds.push(ids(await r.recommend({ k: 10 })));
    }
    const plain = ids(await r.recommend({ k: 10, feedback: false }));
    await r.track({ type: 'click', itemId: first[0]! });
    const afterClick = ids(await r.recommend({ k: 10, omit: 'purchased' }));
    const plainNow = ids(await r.recommend({ k: 10, feedback: false }));
    const explored = ids(await r.recommend({ k: 10, explore: 2, feedback: false }));
    const bad = await r.recommend({ explore: 11 } as never).then(() => 'resolved', (e: { code?: string }) => e.code);
    r.dispose();
    return { first, rounds, plain, afterClick, plainNow, explored, bad };
  }, MODEL);
  // Two ignored impressions are free; after the third the first shelf's items give way.
  expect(out.rounds[1]).toEqual(out.first);
  expect(out.rounds[2]).toEqual(out.first);
  // A third ignored impression costs a quarter of the shelf's score spread: the items near the bottom give way.
  expect(out.rounds[3]!.filter((id) => out.first.includes(id)).length).toBeLessThanOrEqual(7);
  expect(out.plain).toEqual(out.first);
  // The clicked item is back (omit: 'purchased' keeps viewed/clicked items eligible).
  expect(out.afterClick).toContain(out.first[0]);
  expect(out.explored.slice(0, 8)).toEqual(out.plainNow.slice(0, 8));
  expect(out.explored).toHaveLength(10);
  expect(new Set(out.explored).size).toBe(10);
  expect(out.bad).toBe('INVALID_ARGUMENT');
});
