/**
 * The item-table part of an update (`.lsad` format version 2, docs/adapter-format.md "Item-table updates"):
 * replaced rows of the int8 item matrix, rows for new products with their catalog entries, and removed rows.
 * Checked here against the running model (its row count, dimension, `items.lsim` hash and catalog ids); applied
 * by the engine (`workers/catalog-view.ts`). Pure: no DOM.
 */
import { LocalshelfError } from '../../src/errors';
import { attributesOf, type CatalogEntry } from '../runtime/load-model';
import { MAX_ID, MAX_TITLE } from '../search/add-items';
import { isSha256Hex } from './bytes';

/** Tensor names of the item-table part. */
export const ITEM_TENSORS = { rows: 'items.rows', q: 'items.q', scale: 'items.scale', removed: 'items.removed' } as const;
/** Most new products one update may carry. */
export const MAX_NEW_ITEMS = 100_000;

/** What an update does to the catalog and the item matrix. */
export interface ItemTableUpdate {
  /** sha256 of the base `items.lsim` these rows fit. */
  readonly baseItems: string;
  /** Base rows replaced, strictly increasing. */
  readonly rows: Int32Array;
  /** int8 values of the replaced rows, then of the new items' rows: `[(rows.length + newItems.length) * dim]`. */
  readonly q: Int8Array;
  /** Per-row scales, same order as `q`. */
  readonly scales: Float32Array;
  /** Rows no longer recommended or found (base rows or new rows), strictly increasing. */
  readonly removed: Int32Array;
  /** Catalog entries of the new products, appended after the base rows in this order. */
  readonly newItems: readonly CatalogEntry[];
}

/** What the running model offers an item-table update to bind to. */
export interface ItemTableExpectations {
  readonly numItems: number;
  /** `manifest.dim`. */
  readonly dim?: number;
  /** `manifest.sha256["items.lsim"]`. */
  readonly baseItems?: string;
  /** Whether the base catalog has an item id (new items must be new). */
  readonly hasItem?: (id: string) => boolean;
}

type Fail = (reason: 'bad-header' | 'shape-mismatch' | 'missing-pair' | 'bad-item-rows' | 'duplicate-item' | 'non-finite', detail: string) => never;

/** The header's `newItems` as catalog entries. */
export function readNewItems(raw: unknown, fail: Fail): CatalogEntry[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) fail('bad-header', 'newItems must be an array');
  if (raw.length > MAX_NEW_ITEMS) fail('bad-header', `newItems has ${raw.length} entries, at most ${MAX_NEW_ITEMS}`);
  const seen = new Set<string>();
  return raw.map((it: unknown, i: number): CatalogEntry => {
    const e = it as Record<string, unknown> | null;
    if (!e || typeof e !== 'object' || Array.isArray(e)) fail('bad-header', `newItems[${i}] is not an object`);
    if (typeof e.id !== 'string' || e.id.length === 0 || e.id.length > MAX_ID) fail('bad-header', `newItems[${i}].id must be a string of 1..${MAX_ID} characters`);
    if (seen.has(e.id)) fail('duplicate-item', `newItems repeats the id ${JSON.stringify(e.id)}`);
    seen.add(e.id);
    if (typeof e.title !== 'string' || e.title.trim().length === 0 || e.title.length > MAX_TITLE) fail('bad-header', `newItems[${i}].title must be a non-empty string of at most ${MAX_TITLE} characters`);
    const pop = e.popularity;
    if (pop !== undefined && !(typeof pop === 'number' && Number.isFinite(pop) && pop >= 0)) fail('bad-header', `newItems[${i}].popularity must be a finite number ≥ 0`);
    const attributes = attributesOf(e);
    return { id: e.id, title: e.title, popularity: (pop as number | undefined) ?? 0, ...(attributes ? { attributes } : {}) };
  });
}

/**
 * Checks the item tensors against each other and the model, and builds the update. `tensors` holds the raw typed
 * arrays by name (only the `items.*` ones matter here).
 */
export function buildItemUpdate(
  tensors: ReadonlyMap<string, { data: Int8Array | Int32Array | Float32Array; dims: readonly number[] }>,
  header: { baseItems?: unknown; newItems: readonly CatalogEntry[] },
  model: ItemTableExpectations,
  fail: Fail,
): ItemTableUpdate | undefined {
  const get = (name: string) => tensors.get(name);
  const rows = get(ITEM_TENSORS.rows);
  const q = get(ITEM_TENSORS.q);
  const scale = get(ITEM_TENSORS.scale);
  const removed = get(ITEM_TENSORS.removed);
  const m = header.newItems.length;
  if (!rows && !q && !scale && !removed && m === 0) {
    if (header.baseItems !== undefined) fail('bad-header', 'baseItems without item tensors or newItems');
    return undefined;
  }
  if (!isSha256Hex(header.baseItems)) fail('bad-header', 'an item-table update needs baseItems (sha256 hex of items.lsim)');
  if (model.baseItems !== undefined && header.baseItems !== model.baseItems) {
    throw new LocalshelfError('ADAPTER_BASE_MISMATCH', 'the update\'s item rows are for another items.lsim than the running model\'s');
  }
  if (!!q !== !!scale) fail('missing-pair', `${q ? ITEM_TENSORS.q : ITEM_TENSORS.scale} without its partner`);
  if (rows && !q) fail('missing-pair', `${ITEM_TENSORS.rows} without ${ITEM_TENSORS.q}`);
  if (m > 0 && !q) fail('missing-pair', 'newItems without their rows in items.q');
  const k = rows ? rows.data.length : 0;
  if (rows && (rows.dims.length !== 1 || !(rows.data instanceof Int32Array))) fail('shape-mismatch', `${ITEM_TENSORS.rows} must be int32 [K]`);
  if (removed && (removed.dims.length !== 1 || !(removed.data instanceof Int32Array))) fail('shape-mismatch', `${ITEM_TENSORS.removed} must be int32 [R]`);
  const dim = model.dim;
  if (q) {
    if (!(q.data instanceof Int8Array) || q.dims.length !== 2) fail('shape-mismatch', `${ITEM_TENSORS.q} must be int8 [K + M, D]`);
    if (dim !== undefined && q.dims[1] !== dim) fail('shape-mismatch', `${ITEM_TENSORS.q} rows have ${q.dims[1]} values, the model ${dim}`);
    if (q.dims[0] !== k + m) fail('shape-mismatch', `${ITEM_TENSORS.q} has ${q.dims[0]} rows; items.rows (${k}) + newItems (${m}) = ${k + m}`);
    if (!(scale!.data instanceof Float32Array) || scale!.dims.length !== 1 || scale!.dims[0] !== k + m) fail('shape-mismatch', `${ITEM_TENSORS.scale} must be float32 [${k + m}]`);
    for (const s of scale!.data) if (!(s >= 0)) fail('non-finite', `${ITEM_TENSORS.scale} has a negative or NaN scale`);
  }
  const increasing = (a: Int32Array, limit: number, what: string) => {
    for (let i = 0; i < a.length; i++) {
      if (a[i]! < 0 || a[i]! >= limit) fail('bad-item-rows', `${what}[${i}] = ${a[i]} is outside 0..${limit - 1}`);
      if (i > 0 && a[i]! <= a[i - 1]!) fail('bad-item-rows', `${what} is not strictly increasing at ${i}`);
    }
  };
  const rowsData = (rows?.data as Int32Array | undefined) ?? new Int32Array(0);
  const removedData = (removed?.data as Int32Array | undefined) ?? new Int32Array(0);
  increasing(rowsData, model.numItems, ITEM_TENSORS.rows);
  increasing(removedData, model.numItems + m, ITEM_TENSORS.removed);
  if (model.hasItem) {
    for (const e of header.newItems) if (model.hasItem(e.id)) fail('duplicate-item', `new item ${JSON.stringify(e.id)} is already in the catalog`);
  }
  return {
    baseItems: header.baseItems,
    rows: rowsData,
    q: (q?.data as Int8Array | undefined) ?? new Int8Array(0),
    scales: (scale?.data as Float32Array | undefined) ?? new Float32Array(0),
    removed: removedData,
    newItems: header.newItems,
  };
}
