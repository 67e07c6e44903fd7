import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { IndexStore } from '../../../workers/search/index-store';

describe('IndexStore', () => {
  it('saves the index under its catalog key and drops the records of older catalogs', async () => {
    const store = (await IndexStore.open('shop-search-a'))!;
    expect(await store.load('old:v1')).toBeUndefined();
    expect(await store.save('old:v1', ['{"a":1}'], 1)).toBe(true);
    expect(await store.load('old:v1')).toEqual(['{"a":1}']);
    await store.save('new:v1', ['{"b":2}', '{"c":3}'], 2);
    expect(await store.load('new:v1')).toEqual(['{"b":2}', '{"c":3}']);
    expect(await store.load('old:v1')).toBeUndefined();
    store.close();
    const again = (await IndexStore.open('shop-search-a'))!;
    expect(await again.load('new:v1')).toEqual(['{"b":2}', '{"c":3}']);
    again.close();
  });

  it('reads a record of the earlier one-string form as none (the index is then rebuilt)', async () => {
    const store = (await IndexStore.open('shop-search-b'))!;
    await store.save('k:v2', ['{}'], 0);
    // what a version-1 record looked like: one JSON string, no parts
    const raw = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('shop-search-b');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    await new Promise<void>((resolve, reject) => {
      const tx = raw.transaction('lexical', 'readwrite');
      tx.objectStore('lexical').put({ key: 'k:v2', json: '{"a":1}', docs: 1, savedAt: 0 });
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    raw.close();
    expect(await store.load('k:v2')).toBeUndefined();
    store.close();
  });
});
