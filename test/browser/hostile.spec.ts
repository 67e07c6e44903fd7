/**
 * Hostile input through the real library in Chromium: generated events, recommend() and search() options and
 * catalog.add() items (fast-check, seeded) go to one recommender. Each call resolves or rejects with a typed
 * error; the stored history holds exactly the events whose track() resolved; the recommender still works.
 * The parsers get 10^5 inputs in `npm run fuzz` (test/fuzz/).
 */
import fc from 'fast-check';
import { anything, event } from '../fuzz/targets';
import { expect, MODEL, test } from './fixtures';

const N = Number(process.env.HOSTILE_RUNS ?? 150);
const sample = <T>(arb: fc.Arbitrary<T>, seed: number): T[] => fc.sample(arb, { numRuns: N, seed });

test(`${N} generated inputs to each public call: typed errors only, stored history = acknowledged events`, async ({ shop }) => {
  const inputs = {
    events: sample(event, 1),
    recommend: sample(fc.oneof(anything, fc.record({ k: anything, omit: anything, exclude: anything, filter: anything }, { requiredKeys: [] })), 2),
    search: sample(fc.tuple(anything, anything), 3),
    add: sample(fc.oneof(anything, fc.array(fc.record({ id: anything, title: anything, text: anything }, { requiredKeys: [] }), { maxLength: 3 })), 4),
  };
  const out = await shop.evaluate(
    async ({ model, inputs }) => {
      const r = await window.localshelf.createRecommender({ model, storageName: 'hostile' });
      const untyped: string[] = [];
      const codes = new Set<string>();
      const call = async (f: () => Promise<unknown>): Promise<boolean> => {
        try {
          await f();
          return true;
        } catch (e) {
          if (window.localshelf.isLocalshelfError(e)) codes.add(e.code);
          else untyped.push(String(e));
          return false;
        }
      };
      let acknowledged = 0;
      for (const e of inputs.events) if (await call(() => r.track(e as never))) acknowledged++;
      for (const q of inputs.recommend) await call(() => r.recommend(q as never));
      for (const [q, o] of inputs.search) await call(() => r.search(q as never, o as never));
      for (const items of inputs.add) await call(() => r.catalog.add(items as never));
      const stored = (await r.history.export()).length;
      const still = await r.recommend({ k: 5 });
      r.dispose();
      return { acknowledged, stored, untyped, codes: [...codes].sort(), works: still.items.length };
    },
    { model: MODEL, inputs },
  );
  console.log(`[hostile] ${4 * N} calls; ${out.acknowledged} events accepted; codes seen: ${out.codes.join(', ')}`);
  expect(out.untyped).toEqual([]);
  expect(out.stored).toBe(out.acknowledged);
  expect(out.works).toBe(5);
});
