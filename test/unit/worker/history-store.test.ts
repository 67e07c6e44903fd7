// HistoryStore on fake-indexeddb (Node). The same store runs on real IndexedDB in test/browser.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../workers/history/store';
import { ShopperProfile } from '../../../workers/history/profile';
import type { StoredEvent } from '../../../src/events';

const view = (itemId: string, timestamp: number): StoredEvent => ({ type: 'view', itemId, timestamp });

describe('HistoryStore', () => {
  it('appends in order, numbers events, and survives reopening', async () => {
    const a = await HistoryStore.open('reopen', 100);
    const { stored } = await a.append([view('x', 1), view('y', 2)]);
    expect(stored.map((e) => e.seq)).toEqual([1, 2]);
    a.close();
    const b = await HistoryStore.open('reopen', 100);
    expect((await b.all()).map((e) => ('itemId' in e ? e.itemId : ''))).toEqual(['x', 'y']);
    expect((await b.latest(1)).map((e) => e.timestamp)).toEqual([2]);
    b.close();
  });

  it('drops the oldest events beyond the cap in the same transaction', async () => {
    const s = await HistoryStore.open('cap', 3);
    await s.append([view('a', 1), view('b', 2)]);
    await s.append([view('c', 3), view('d', 4), view('e', 5)]);
    expect((await s.all()).map((e) => e.timestamp)).toEqual([3, 4, 5]);
    await s.append([view('f', 6)]);
    expect((await s.all()).map((e) => e.timestamp)).toEqual([4, 5, 6]);
    await s.clear();
    expect(await s.count()).toBe(0);
    await s.append([view('g', 7)]); // numbering goes on after a clear; the cap still holds
    expect((await s.all()).map((e) => e.timestamp)).toEqual([7]);
  });

  it('a smaller cap at the next start trims the history at the next write', async () => {
    const big = await HistoryStore.open('recap', 10);
    await big.append([1, 2, 3, 4, 5, 6].map((t) => view(String(t), t)));
    big.close();
    const small = await HistoryStore.open('recap', 2);
    await small.append([view('7', 7)]);
    expect((await small.all()).map((e) => e.timestamp)).toEqual([6, 7]);
  });
});

describe('ShopperProfile', () => {
  it('keeps item events most recent last and collects purchases', () => {
    const p = new ShopperProfile(2);
    p.add([view('a', 1), { type: 'search', query: 'q', timestamp: 2 }, { type: 'purchase', itemId: 'b', timestamp: 3 }]);
    expect(p.recent.map((e) => e.itemId)).toEqual(['a', 'b']);
    expect([...p.purchased]).toEqual(['b']);
  });
});
