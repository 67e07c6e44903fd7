import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../src/events';
import { CatalogIndex } from '../../../workers/catalog-index';
import type { ItemMatrix } from '../../../workers/engine/item-matrix';
import { ShopperProfile } from '../../../workers/history/profile';
import { checkRecommendRequest } from '../../../workers/recommend-request';
import { Shelves } from '../../../workers/shelf';

const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
const catalog = new CatalogIndex(ids.map((id, i) => ({ id, title: id.toUpperCase(), popularity: 6 - i })));
const matrix: ItemMatrix = { rows: 6, dim: 16, q: new Int8Array(96), scales: new Float32Array(6) };
const profile = new ShopperProfile(50);
profile.add([
  { seq: 1, type: 'view', itemId: 'b', timestamp: 1 },
  { seq: 2, type: 'purchase', itemId: 'c', timestamp: 2 },
] as StoredEvent[]);
const removed = Uint8Array.from([0, 0, 0, 0, 1, 0]); // 'e' left the catalog in an update
const excluded = (mask: Uint8Array) => ids.filter((_, row) => mask[row] !== 0);

describe('Shelves.exclusionMask', () => {
  const shelves = new Shelves();
  const src = { catalog, matrix, profile, removed };

  it('removed rows, the request\'s exclude and the shopper\'s own items (omit: history by default)', () => {
    expect(excluded(shelves.exclusionMask(src, checkRecommendRequest({ exclude: ['f', 'zz'] })))).toEqual(['b', 'c', 'e', 'f']);
    expect(excluded(shelves.exclusionMask(src, checkRecommendRequest({ omit: 'purchased' })))).toEqual(['c', 'e']);
    expect(excluded(shelves.exclusionMask({ catalog, matrix, profile }, checkRecommendRequest({ omit: 'none' })))).toEqual([]);
  });

  it('filter.ids keeps only those, and a removed row stays out even when listed', () => {
    const mask = shelves.exclusionMask(src, checkRecommendRequest({ filter: { ids: ['a', 'e', 'c', 'f'] }, omit: 'purchased' }));
    expect(excluded(mask)).toEqual(['b', 'c', 'd', 'e']);
  });

  it('a removed mask shorter or longer than the catalog (rows added or not yet) is copied as far as both go', () => {
    expect(excluded(shelves.exclusionMask({ ...src, removed: Uint8Array.from([1, 0]) }, checkRecommendRequest({ omit: 'none' })))).toEqual(['a']);
    expect(excluded(shelves.exclusionMask({ ...src, removed: new Uint8Array(9).fill(1) }, checkRecommendRequest({ omit: 'none' })))).toEqual(ids);
  });

  it('a released mask is reused, cleared, for the next call of the same catalog size; one in use is never handed out', () => {
    const own = new Shelves();
    const a = own.exclusionMask(src, checkRecommendRequest({ exclude: ['a'] }));
    const b = own.exclusionMask(src, checkRecommendRequest({ omit: 'none' }));
    expect(b).not.toBe(a); // a is still in use
    own.release(a);
    const c = own.exclusionMask(src, checkRecommendRequest({ omit: 'none' }));
    expect(c).toBe(a);
    expect(excluded(c)).toEqual(['e']); // only what this call asks for
    own.release(c);
    own.release(c); // twice: kept once
    expect(own.exclusionMask({ catalog: new CatalogIndex(catalog.entries.slice(0, 3)), matrix, profile }, checkRecommendRequest({ omit: 'none' }))).not.toBe(c);
    expect(own.exclusionMask(src, checkRecommendRequest({ omit: 'none' }))).toBe(c);
    expect(own.exclusionMask(src, checkRecommendRequest({ omit: 'none' }))).not.toBe(c);
  });
});
