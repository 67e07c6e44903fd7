import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { IndexStore } from '../../../workers/search/index-store';

describe('IndexStore', () => {
  it('saves the index under its catalog key and drops the records of older catalogs', async () => {
    const store = (await IndexStore.open('shop-search-a'))!;
    expect(await store.load('old:v1')).toBeUndefined();
    expect(await store.save('old:v1', '{"a":1}', 1)).toBe(true);
    expect(await store.load('old:v1')).toBe('{"a":1}');
    await store.save('new:v1', '{"b":2}', 2);
    expect(await store.load('new:v1')).toBe('{"b":2}');
    expect(await store.load('old:v1')).toBeUndefined();
    store.close();
    const again = (await IndexStore.open('shop-search-a'))!;
    expect(await again.load('new:v1')).toBe('{"b":2}');
    again.close();
  });
});
