/**
 * Item-table updates (`.lsad` format version 2): round trip, every rejection, and how the engine's catalog view
 * applies them (replaced rows, new products, removed rows, bias, products added at run time, swaps).
 */
import { describe, expect, it } from 'vitest';
import { isLocalshelfError } from '../../../src/errors';
import { encodeAdapter, parseAdapter, type AdapterExpectations, type EncodeAdapterInput } from '../../../workers/adapters/format';
import { CatalogView } from '../../../workers/catalog-view';
import type { ItemMatrix } from '../../../workers/engine/item-matrix';
import { MODEL } from './channel-fixture';

const DIM = 4;
const N = 6;
const ITEMS_SHA = 'b'.repeat(64);
const BINDING: AdapterExpectations = { ...MODEL, numItems: N, dim: DIM, baseItems: ITEMS_SHA, hasItem: (id) => /^base-\d+$/.test(id) };
const base: ItemMatrix = { rows: N, dim: DIM, scales: Float32Array.from({ length: N }, (_, i) => (i + 1) / 127), q: Int8Array.from({ length: N * DIM }, (_, i) => (i % 7) - 3) };
const entries = Array.from({ length: N }, (_, i) => ({ id: `base-${i}`, title: `Base ${i}`, popularity: N - i }));

/** Rows 1 and 4 replaced, two new products, base row 2 and new row N + 1 removed, a bias over N + 2 rows. */
function update(over: Partial<EncodeAdapterInput> & { rows?: number[]; q?: number[]; scales?: number[]; removed?: number[] } = {}): EncodeAdapterInput {
  const rows = over.rows ?? [1, 4];
  const newItems = over.newItems ?? [{ id: 'new-a', title: 'New A', popularity: 3, category: 'Beauty > Nails' }, { id: 'new-b', title: 'New B' }];
  const count = rows.length + newItems.length;
  const tensors: EncodeAdapterInput['tensors'][number][] = [];
  if (rows.length) tensors.push({ name: 'items.rows', dims: [rows.length], data: Int32Array.from(rows) });
  tensors.push({ name: 'items.q', dims: [count, DIM], data: Int8Array.from(over.q ?? Array.from({ length: count * DIM }, (_, i) => 100 - i)) });
  tensors.push({ name: 'items.scale', dims: [count], data: Float32Array.from(over.scales ?? Array.from({ length: count }, (_, i) => 0.01 * (i + 1))) });
  const removed = over.removed ?? [2, N + 1];
  if (removed.length) tensors.push({ name: 'items.removed', dims: [removed.length], data: Int32Array.from(removed) });
  tensors.push({ name: 'item_bias', dims: [N + newItems.length], data: Float32Array.from({ length: N + newItems.length }, (_, i) => i / 10) });
  return { adapterVersion: 2, baseModel: MODEL.baseModel, rank: MODEL.lora.rank, baseItems: ITEMS_SHA, newItems, ...over, tensors: over.tensors ?? tensors };
}

function reason(fn: () => unknown, code = 'ADAPTER_MALFORMED'): string {
  try {
    fn();
  } catch (error) {
    expect(isLocalshelfError(error, code as never), String(error)).toBe(true);
    return (error as Error).message.split(':')[0]!;
  }
  throw new Error(`expected ${code}`);
}

describe('item-table updates in the adapter format', () => {
  it('round-trip as format version 2: rows, new products with their attributes, removed rows, bias', () => {
    const bytes = encodeAdapter(update(), BINDING);
    expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(2);
    const parsed = parseAdapter(bytes, BINDING);
    const items = parsed.items!;
    expect(Array.from(items.rows)).toEqual([1, 4]);
    expect(items.q.length).toBe(4 * DIM);
    expect(items.q[0]).toBe(100);
    expect(items.scales[3]).toBeCloseTo(0.04, 7);
    expect(Array.from(items.removed)).toEqual([2, N + 1]);
    expect(items.newItems).toEqual([
      { id: 'new-a', title: 'New A', popularity: 3, attributes: { category: 'Beauty > Nails' } },
      { id: 'new-b', title: 'New B', popularity: 0 },
    ]);
    expect(items.baseItems).toBe(ITEMS_SHA);
    expect(parsed.tensors.get('item_bias')!.dims).toEqual([N + 2]);
    expect(parsed.tensors.has('items.q')).toBe(false); // item tensors are not encoder feeds
  });

  it('rejects what does not fit, with the reason', () => {
    expect(reason(() => parseAdapter(encodeAdapter(update({ rows: [4, 1] })), BINDING))).toBe('bad-item-rows');
    expect(reason(() => parseAdapter(encodeAdapter(update({ rows: [1, N] })), BINDING))).toBe('bad-item-rows');
    expect(reason(() => parseAdapter(encodeAdapter(update({ rows: [-1, 2] })), BINDING))).toBe('bad-item-rows');
    expect(reason(() => parseAdapter(encodeAdapter(update({ removed: [N + 2] })), BINDING))).toBe('bad-item-rows');
    expect(reason(() => parseAdapter(encodeAdapter(update({ newItems: [{ id: 'base-3', title: 'dup' }], removed: [2] })), BINDING))).toBe('duplicate-item');
    expect(reason(() => parseAdapter(encodeAdapter(update({ newItems: [{ id: 'x', title: 'a' }, { id: 'x', title: 'b' }] })), BINDING))).toBe('duplicate-item');
    expect(reason(() => parseAdapter(encodeAdapter(update({ newItems: [{ id: 'x', title: '' }], removed: [2] })), BINDING))).toBe('bad-header');
    expect(reason(() => parseAdapter(encodeAdapter(update({ newItems: [{ id: 'x', title: 't', popularity: -1 }], removed: [2] })), BINDING))).toBe('bad-header');
    const nan = encodeAdapter(update({ scales: [0.1, 0.123456, 0.1, 0.1] }));
    const marker = new Uint8Array(Float32Array.of(0.123456).buffer);
    const at = nan.findIndex((_, i) => marker.every((b, j) => nan[i + j] === b));
    new DataView(nan.buffer).setFloat32(at, Number.NaN, true);
    expect(reason(() => parseAdapter(nan, BINDING))).toBe('non-finite');
    expect(reason(() => parseAdapter(encodeAdapter(update({ scales: [0.1, -1, 0.1, 0.1] })), BINDING))).toBe('non-finite');
    const t = update().tensors;
    const without = (name: string) => update({ tensors: t.filter((x) => x.name !== name) });
    expect(reason(() => parseAdapter(encodeAdapter(without('items.scale')), BINDING))).toBe('missing-pair');
    expect(reason(() => parseAdapter(encodeAdapter(without('items.q')), BINDING))).toBe('missing-pair');
    const short = update({ tensors: t.map((x) => (x.name === 'items.q' ? { ...x, dims: [3, DIM], data: x.data.subarray(0, 3 * DIM) } : x)) });
    expect(reason(() => parseAdapter(encodeAdapter(short), BINDING))).toBe('shape-mismatch');
    const wide = update({ tensors: t.map((x) => (x.name === 'items.q' ? { ...x, dims: [2, 2 * DIM] } : x)) });
    expect(reason(() => parseAdapter(encodeAdapter(wide), BINDING))).toBe('shape-mismatch');
    const bias = update({ tensors: t.map((x) => (x.name === 'item_bias' ? { ...x, dims: [N], data: x.data.subarray(0, N) } : x)) });
    expect(reason(() => parseAdapter(encodeAdapter(bias), BINDING))).toBe('shape-mismatch');
    const asFloat = update({ tensors: t.map((x) => (x.name === 'items.rows' ? { ...x, data: Float32Array.from([1, 4]) } : x)) });
    expect(reason(() => parseAdapter(encodeAdapter(asFloat), BINDING))).toBe('shape-mismatch');
    const noBase = update({ baseItems: undefined });
    expect(reason(() => parseAdapter(encodeAdapter(noBase), BINDING))).toBe('bad-header');
  });

  it('binds the rows to the running items.lsim: another one is ADAPTER_BASE_MISMATCH', () => {
    const bytes = encodeAdapter(update());
    expect(isLocalshelfError((() => { try { parseAdapter(bytes, { ...BINDING, baseItems: 'c'.repeat(64) }); } catch (e) { return e; } })(), 'ADAPTER_BASE_MISMATCH')).toBe(true);
  });

  it('format version 1 stays float32 only: int8 tensors or item fields in a version-1 file are rejected', () => {
    const v2 = encodeAdapter(update());
    const v1 = v2.slice();
    new DataView(v1.buffer).setUint32(4, 1, true);
    expect(reason(() => parseAdapter(v1, BINDING))).toBe('bad-tensor');
    const lora = encodeAdapter({ adapterVersion: 1, baseModel: MODEL.baseModel, rank: MODEL.lora.rank, tensors: [{ name: 'item_bias', dims: [N], data: new Float32Array(N) }] });
    expect(new DataView(lora.buffer).getUint32(4, true)).toBe(1); // LoRA / bias only: still written as version 1
  });
});

describe('CatalogView', () => {
  const rowOf = (m: ItemMatrix, r: number) => Array.from(m.q.subarray(r * DIM, (r + 1) * DIM));

  it('applies an update: rows replaced, new products appended, removed rows masked, bias on the view rows', () => {
    const parsed = parseAdapter(encodeAdapter(update()), BINDING);
    const view = new CatalogView(entries, base);
    const snap = view.setUpdate(parsed.items, parsed.tensors.get('item_bias')!.data);
    expect(snap.matrix.rows).toBe(N + 2);
    expect(rowOf(snap.matrix, 1)).toEqual([100, 99, 98, 97]);
    expect(snap.matrix.scales[4]).toBeCloseTo(0.02, 7);
    expect(rowOf(snap.matrix, 0)).toEqual(rowOf(base, 0));
    expect(snap.catalog.row('new-a')).toBe(N);
    expect(snap.catalog.entries[N + 1]!.title).toBe('New B');
    expect(rowOf(snap.matrix, N)).toEqual([92, 91, 90, 89]);
    expect(Array.from(snap.removed!)).toEqual([0, 0, 1, 0, 0, 0, 0, 1]);
    expect(Array.from(snap.bias!).map((x) => Math.round(x * 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(base.q[4]).toBe(-3 + 4); // the model's own matrix is never written
    // a product the page adds while the bias is active: a row of its own, bias 0 there
    const grown = view.add(CatalogView.quantize([{ id: 'page-1', title: 'Added by the page', popularity: 0 }], Float32Array.from([1, 0, 0, 0]), DIM));
    expect(grown.bias!.length).toBe(N + 3);
    expect(grown.bias![N + 2]).toBe(0);
    expect(Array.from(grown.bias!.subarray(0, N + 2))).toEqual(Array.from(snap.bias!));
  });

  it('is the model itself, uncopied, until an update or a product changes it (and again after a rollback)', () => {
    const view = new CatalogView(entries, base);
    expect(view.current.matrix).toBe(base);
    expect(view.add([])).toBe(view.current);
    expect(view.setUpdate(undefined, undefined).matrix).toBe(base);
    const parsed = parseAdapter(encodeAdapter(update({ newItems: [], removed: [] })), BINDING);
    expect(view.setUpdate(parsed.items, undefined).matrix).not.toBe(base);
    expect(view.setUpdate(undefined, undefined).matrix).toBe(base);
  });

  it('keeps rows stable: products added at run time, then a swap to an update without the earlier new items', () => {
    const view = new CatalogView(entries, base);
    const first = parseAdapter(encodeAdapter(update()), BINDING);
    view.setUpdate(first.items, undefined);
    const added = CatalogView.quantize([{ id: 'page-1', title: 'Added by the page', popularity: 0 }], Float32Array.from([1, 0, -1, 0.5]), DIM);
    let snap = view.add(added);
    expect(snap.catalog.row('page-1')).toBe(N + 2);
    expect(rowOf(snap.matrix, N + 2)).toEqual([127, 0, -127, 64]);
    const second = parseAdapter(encodeAdapter(update({ newItems: [{ id: 'new-c', title: 'New C' }], removed: [] })), BINDING);
    snap = view.setUpdate(second.items, undefined);
    expect(snap.catalog.row('page-1')).toBe(N + 2); // never moves
    expect(snap.catalog.row('new-c')).toBe(N + 3);
    expect(snap.removed![N]).toBe(1); // new-a left with the first update: kept, masked
    expect(snap.removed![N + 2]).toBe(0);
    snap = view.setUpdate(undefined, undefined); // rolled back to the model itself
    expect(rowOf(snap.matrix, 1)).toEqual(rowOf(base, 1));
    expect(snap.removed![N + 3]).toBe(1);
    expect(snap.removed![2]).toBe(0);
    expect(snap.catalog.row('page-1')).toBe(N + 2); // the page's own product stays through the rollback
    expect(snap.removed![N + 2]).toBe(0);
  });
});
