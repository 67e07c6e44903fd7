/**
 * Search for the search box: the one function views call.
 *
 * Once the recommender is ready this is `recommender.search()` (lexical and semantic retrieval in the worker,
 * re-ranked with the shopper's history). While the model is still downloading, or if it could not start, a
 * plain title match over catalog.json answers instead, so the box works from the first second.
 */
import type { Catalog, Product } from './catalog';
import type { Engine } from './engine';

export interface SearchOutcome {
  products: Product[];
  /** `'localshelf'`: the recommender's search; `'title-match'`: the fallback below. */
  by: 'localshelf' | 'title-match';
  /** True when the shopper's history re-ranked the results. */
  personalized: boolean;
}

export async function searchProducts(catalog: Catalog, engine: Engine, query: string, k: number): Promise<SearchOutcome> {
  if (engine.state.phase === 'ready') {
    const result = await (await engine.ready).search(query, { k });
    const products = result.items.map((item) => catalog.get(item.id)).filter((p): p is Product => p !== undefined);
    return { products, by: 'localshelf', personalized: result.personalized };
  }
  return { products: titleMatch(catalog, query, k), by: 'title-match', personalized: false };
}

/** Fallback: every query word must appear in the title; whole words first, then more popular products. */
function titleMatch(catalog: Catalog, query: string, k: number): Product[] {
  const words = normalize(query).split(' ').filter(Boolean);
  if (words.length === 0) return [];
  const hits: { product: Product; rank: number }[] = [];
  for (const product of catalog.products) {
    const title = ` ${normalize(product.title)} `;
    if (!words.every((w) => title.includes(w))) continue;
    const whole = words.filter((w) => title.includes(` ${w} `)).length;
    hits.push({ product, rank: whole * 1e6 + product.popularity });
  }
  return hits.sort((a, b) => b.rank - a.rank).slice(0, k).map((hit) => hit.product);
}

function normalize(text: string): string {
  return text.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, ' ').trim();
}
