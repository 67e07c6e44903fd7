import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../src/events';
import { ShopperProfile } from '../../../workers/history/profile';

const ev = (seq: number, type: string, itemId?: string): StoredEvent => ({ seq, type, timestamp: seq, ...(itemId ? { itemId } : { itemIds: ['Z'] }) }) as never;

describe('ShopperProfile', () => {
  it('knows every item the shopper interacted with, and which were bought', () => {
    const p = new ShopperProfile(2);
    p.add([ev(1, 'view', 'A'), ev(2, 'click', 'B'), ev(3, 'add_to_cart', 'C'), ev(4, 'purchase', 'D'), ev(5, 'impression')]);
    for (let i = 0; i < 20; i++) p.add([ev(10 + i, 'view', 'E')]);
    // The encoder's window is short; the set of interacted items is not.
    expect(p.recent.length).toBeLessThanOrEqual(8);
    expect([...p.interacted].sort()).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect([...p.purchased]).toEqual(['D']);
    p.clear();
    expect(p.interacted.size).toBe(0);
    expect(p.purchased.size).toBe(0);
  });
});
