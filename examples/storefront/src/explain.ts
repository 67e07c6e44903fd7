/**
 * The shopper's most recent distinct items (`history.export()`), for the "Recently viewed" row and the shelf's
 * lead line. Each card's own "Because you viewed …" comes from the library (`because` on every personal result).
 */
import { ITEM_EVENT_TYPES, type Recommender, type StoredEvent } from 'localshelf';
import type { Catalog, Product } from './catalog';

const ITEM_TYPES: ReadonlySet<string> = new Set(ITEM_EVENT_TYPES);

/** Newest first, distinct, only items of this catalog. */
export function recentItems(history: readonly StoredEvent[], catalog: Catalog, n: number): Product[] {
  const seen = new Set<string>();
  const out: Product[] = [];
  for (let i = history.length - 1; i >= 0 && out.length < n; i--) {
    const e = history[i]!;
    if (!ITEM_TYPES.has(e.type) || !('itemId' in e) || seen.has(e.itemId)) continue;
    seen.add(e.itemId);
    const product = catalog.get(e.itemId);
    if (product) out.push(product);
  }
  return out;
}

export async function recentlyViewed(recommender: Recommender, catalog: Catalog, n: number): Promise<Product[]> {
  return recentItems(await recommender.history.export(), catalog, n);
}

/** "Nail Lacquer, Simmer and Shimmer…": titles cut at a word boundary for one line of text. */
export function shortTitle(title: string, max = 42): string {
  if (title.length <= max) return title;
  const cut = title.slice(0, max);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max - 12)).replace(/[\s,;:-]+$/, '')}…`;
}
