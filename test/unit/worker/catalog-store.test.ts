/** `catalog.add()` products on the device (fake IndexedDB here; the browser test does it in Chromium): kept per
 * model in the order added, restored by a new store, and another model's store does not see them. */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { AddedItemStore } from '../../../workers/catalog-store';
import { CatalogView } from '../../../workers/catalog-view';

const item = (id: string, v: number[]) => CatalogView.quantize([{ id, title: `Title ${id}`, popularity: 0 }], Float32Array.from(v), 4)[0]!;

describe('AddedItemStore', () => {
  it('keeps products per model, in order, across instances', async () => {
    const a = await AddedItemStore.open('unit-catalog', 'model-a');
    expect(await a.load()).toEqual([]);
    await a.save([item('p1', [1, 0, 0, 0]), item('p2', [0, 1, 0, 0])]);
    await a.save([item('p3', [0, 0, -1, 0])]);
    a.close();
    const again = await AddedItemStore.open('unit-catalog', 'model-a');
    const got = await again.load();
    expect(got.map((g) => g.entry.id)).toEqual(['p1', 'p2', 'p3']);
    expect(Array.from(got[2]!.q)).toEqual([0, 0, -127, 0]);
    await again.save([item('p4', [0, 0, 0, 1])]); // continues after the restored ones
    expect((await again.load()).map((g) => g.entry.id)).toEqual(['p1', 'p2', 'p3', 'p4']);
    const other = await AddedItemStore.open('unit-catalog', 'model-b');
    expect(await other.load()).toEqual([]);
  });

  it('a database nobody created yet is not created by opening; the first save creates it, once for concurrent saves', async () => {
    const exists = async () => (await indexedDB.databases()).some((d) => d.name === 'unit-lazy');
    const store = await AddedItemStore.open('unit-lazy', 'model-a');
    expect(await store.load()).toEqual([]);
    expect(await exists()).toBe(false);
    await Promise.all([store.save([item('p1', [1, 0, 0, 0])]), store.save([item('p2', [0, 1, 0, 0])])]);
    expect(await exists()).toBe(true);
    store.close();
    const again = await AddedItemStore.open('unit-lazy', 'model-a');
    expect((await again.load()).map((g) => g.entry.id).sort()).toEqual(['p1', 'p2']);
  });
});
