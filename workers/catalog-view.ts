/**
 * The catalog and item matrix the engine runs on: the model's own rows, changed and extended by the active
 * update (replaced rows, new products, removed rows; workers/adapters/items.ts), plus the products the page
 * added with `catalog.add()`. Rows past the model's are handed out once per item id and never move for the life
 * of the worker, so the lexical index, caches and a call in flight keep pointing at the right item; an item that
 * leaves (an update replaced by one without it) keeps its row, masked.
 *
 * Every change builds a new {@link CatalogSnapshot} (copy on write); a call reads one snapshot and keeps it.
 * Pure: no DOM, no worker APIs.
 */
import { CatalogIndex } from './catalog-index';
import type { ItemTableUpdate } from './adapters/items';
import { quantizeRows, type ItemMatrix } from './engine/item-matrix';
import type { CatalogEntry } from './runtime/load-model';

/** What a call runs on. Replaced as a whole on every change. */
export interface CatalogSnapshot {
  readonly catalog: CatalogIndex;
  readonly matrix: ItemMatrix;
  /** Non-zero for rows that must not be recommended or found (removed by the update, or gone with it). */
  readonly removed: Uint8Array | undefined;
  /** The update's per-item score bias laid out on these rows (0 for rows it does not cover), if it has one. */
  readonly bias: Float32Array | undefined;
}

/** A product added at run time: its entry and its int8 row (from the text encoder). */
export interface AddedItem {
  readonly entry: CatalogEntry;
  readonly q: Int8Array;
  readonly scale: number;
}

export class CatalogView {
  readonly #base: { entries: readonly CatalogEntry[]; matrix: ItemMatrix };
  /** Ids of the rows past the base's, in row order (append-only). */
  readonly #extraIds: string[] = [];
  readonly #extraRow = new Map<string, number>();
  readonly #added = new Map<string, AddedItem>();
  #update: { items: ItemTableUpdate | undefined; bias: Float32Array | undefined } = { items: undefined, bias: undefined };
  readonly #baseCatalog: CatalogIndex;
  #snapshot: CatalogSnapshot;

  constructor(entries: readonly CatalogEntry[], matrix: ItemMatrix) {
    this.#base = { entries, matrix };
    this.#baseCatalog = new CatalogIndex([...entries]);
    this.#snapshot = { catalog: this.#baseCatalog, matrix, removed: undefined, bias: undefined };
  }

  /** The current snapshot. */
  get current(): CatalogSnapshot {
    return this.#snapshot;
  }

  /**
   * Makes `items` and `bias` (laid out as the update's file: base rows, then its new items) the active update;
   * `undefined` goes back to the base rows.
   */
  setUpdate(items: ItemTableUpdate | undefined, bias: Float32Array | undefined): CatalogSnapshot {
    this.#update = { items, bias };
    for (const e of items?.newItems ?? []) this.#rowFor(e.id);
    return this.#rebuild();
  }

  /** Adds products from the page, or restored ones (nothing to add: the snapshot stays as it is). */
  add(items: readonly AddedItem[]): CatalogSnapshot {
    if (items.length === 0) return this.#snapshot;
    for (const it of items) {
      this.#added.set(it.entry.id, it);
      this.#rowFor(it.entry.id);
    }
    return this.#rebuild();
  }

  /** Quantizes text vectors into {@link AddedItem}s. */
  static quantize(entries: readonly CatalogEntry[], vectors: Float32Array, dim: number): AddedItem[] {
    const { q, scales } = quantizeRows(vectors, entries.length, dim);
    return entries.map((entry, i) => ({ entry, q: q.slice(i * dim, (i + 1) * dim), scale: scales[i]! }));
  }

  #rowFor(id: string): number {
    let row = this.#extraRow.get(id);
    if (row === undefined) {
      row = this.#base.matrix.rows + this.#extraIds.length;
      this.#extraIds.push(id);
      this.#extraRow.set(id, row);
    }
    return row;
  }

  #rebuild(): CatalogSnapshot {
    const { entries: baseEntries, matrix: base } = this.#base;
    const items = this.#update.items;
    if (!items && !this.#update.bias && this.#extraIds.length === 0) {
      // the model as it shipped: its own matrix, no copy (start-up, and a rollback before anything was added)
      this.#snapshot = { catalog: this.#baseCatalog, matrix: base, removed: undefined, bias: undefined };
      return this.#snapshot;
    }
    const { dim } = base;
    const n = base.rows;
    const rows = n + this.#extraIds.length;
    const fromUpdate = new Map<string, { entry: CatalogEntry; index: number }>();
    items?.newItems.forEach((entry, j) => fromUpdate.set(entry.id, { entry, index: items.rows.length + j }));

    const q = new Int8Array(rows * dim);
    const scales = new Float32Array(rows);
    q.set(base.q.subarray(0, n * dim));
    scales.set(base.scales.subarray(0, n));
    const entries: CatalogEntry[] = [...baseEntries];
    let removed: Uint8Array | undefined;
    const remove = (row: number): void => {
      (removed ??= new Uint8Array(rows))[row] = 1;
    };
    if (items) {
      items.rows.forEach((row, i) => {
        q.set(items.q.subarray(i * dim, (i + 1) * dim), row * dim);
        scales[row] = items.scales[i]!;
      });
    }
    this.#extraIds.forEach((id, i) => {
      const row = n + i;
      const u = fromUpdate.get(id);
      const a = this.#added.get(id);
      if (u) {
        q.set(items!.q.subarray(u.index * dim, (u.index + 1) * dim), row * dim);
        scales[row] = items!.scales[u.index]!;
        entries.push(u.entry);
      } else if (a) {
        q.set(a.q, row * dim);
        scales[row] = a.scale;
        entries.push(a.entry);
      } else {
        entries.push({ id, title: '', popularity: 0 }); // left with an update that is no longer active
        remove(row);
      }
    });
    // update-relative row (base row, or numItems + j for its j-th new item) → row here
    const rowOfUpdate = (r: number): number => (r < n ? r : this.#extraRow.get(items!.newItems[r - n]!.id)!);
    for (const r of items?.removed ?? []) remove(rowOfUpdate(r));
    let bias: Float32Array | undefined;
    const b = this.#update.bias;
    if (b) {
      bias = new Float32Array(rows);
      bias.set(b.subarray(0, Math.min(n, b.length)));
      for (let r = n; r < b.length; r++) bias[rowOfUpdate(r)] = b[r]!;
    }
    this.#snapshot = { catalog: new CatalogIndex(entries), matrix: { rows, dim, scales, q }, removed, bias };
    return this.#snapshot;
  }
}
