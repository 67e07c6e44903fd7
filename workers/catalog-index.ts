/**
 * The catalog as the engine sees it: item id ↔ matrix row, and rows ordered by popularity for the
 * empty-history fallback.
 */
import type { CatalogEntry } from './runtime/load-model';

export class CatalogIndex {
  readonly entries: CatalogEntry[];
  readonly #rowOf = new Map<string, number>();
  #byPopularity: Int32Array | undefined;

  constructor(entries: CatalogEntry[]) {
    this.entries = entries;
    entries.forEach((e, row) => this.#rowOf.set(e.id, row));
  }

  get size(): number {
    return this.entries.length;
  }

  row(id: string): number | undefined {
    return this.#rowOf.get(id);
  }

  /** Rows, most popular first (ties: lower row first). Computed once. */
  get byPopularity(): Int32Array {
    if (!this.#byPopularity) {
      const rows = Int32Array.from(this.entries.keys());
      rows.sort((a, b) => this.entries[b]!.popularity - this.entries[a]!.popularity || a - b);
      this.#byPopularity = rows;
    }
    return this.#byPopularity;
  }
}
