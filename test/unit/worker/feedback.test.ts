import { describe, expect, it } from 'vitest';
import { demote, explore, IgnoredImpressions } from '../../../workers/feedback';
import { seededRandom } from '../../../tools/lib/random-adapter';

describe('feedback loop', () => {
  it('counts ignored impressions with a half-life and forgets an item the shopper engaged with', () => {
    const ig = new IgnoredImpressions(1000);
    ig.shown(['a', 'b'], 0);
    ig.shown(['a'], 0);
    expect(Object.fromEntries(ig.entries(0))).toEqual({ a: 2, b: 1 });
    expect(Object.fromEntries(ig.entries(1000)).a).toBeCloseTo(1, 6);
    ig.engaged('a');
    expect([...ig.entries(0)].map(([id]) => id)).toEqual(['b']);
  });

  it('demotes only past the free impressions, by a share of the score spread', () => {
    const scores = Float32Array.from({ length: 50 }, (_, i) => 50 - i); // spread of the top 40: 39
    const mask = new Uint8Array(50);
    demote(scores, mask, [[0, 2], [1, 4]], 10, { halfLifeMs: 1, free: 2, strength: 0.25 });
    expect(scores[0]).toBe(50);
    expect(scores[1]).toBeCloseTo(49 - 0.25 * 39 * 2, 4);
  });

  it('exploration keeps the head of the shelf and draws distinct items from just below it', () => {
    const scores = Float32Array.from({ length: 100 }, (_, i) => 100 - i);
    const mask = new Uint8Array(100);
    const shelf = Array.from({ length: 10 }, (_, i) => i);
    const random = seededRandom(3);
    for (let t = 0; t < 50; t++) {
      const out = explore(shelf, scores, mask, 10, 2, random);
      expect(out.slice(0, 8)).toEqual(shelf.slice(0, 8));
      expect(new Set(out).size).toBe(10);
      for (const r of out.slice(8)) expect(r).toBeGreaterThanOrEqual(8);
      for (const r of out.slice(8)) expect(r).toBeLessThan(60);
    }
  });
});
