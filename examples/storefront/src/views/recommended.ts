/**
 * The "Recommended for you" shelf and the product page's related shelf: both ask the on-device recommender and
 * say, in plain words, what the picks are based on.
 */
import type { RecommendResult } from 'localshelf';
import type { Product } from '../catalog';
import { h, replace, type Child } from '../dom';
import { recentItems, shortTitle } from '../explain';
import type { Shop } from '../shop';
import { productGrid, section, skeletonGrid } from './cards';

interface ShelfOptions {
  k: number;
  /** Item ids never to show (the product on screen, the cart). */
  exclude: readonly string[];
  /** Also leave out this many of the shopper's most recent items (the home page lists them as "Recently viewed"). */
  excludeRecent?: number;
}

/** Runs the recommender and maps results onto catalog products. */
async function recommend(shop: Shop, options: ShelfOptions): Promise<{ result: RecommendResult; products: Product[]; recent: Product[] }> {
  const recommender = await shop.engine.ready;
  const history = await recommender.history.export();
  const recent = recentItems(history, shop.catalog, Math.max(3, options.excludeRecent ?? 0));
  const exclude = [...options.exclude, ...recent.slice(0, options.excludeRecent ?? 0).map((p) => p.id)];
  const result = await recommender.recommend({ k: options.k, exclude });
  const products = result.items.map((item) => shop.catalog.get(item.id)).filter((p): p is Product => p !== undefined);
  return { result, products, recent: recent.slice(0, 3) };
}

function becauseYouViewed(recent: readonly Product[]): Child[] {
  const links = recent.map((p) => h('a', { href: `#/product/${encodeURIComponent(p.id)}`, class: 'because-item' }, shortTitle(p.title)));
  const parts: Child[] = ['Because you viewed '];
  links.forEach((link, i) => parts.push(link, i < links.length - 2 ? ', ' : i === links.length - 2 ? ' and ' : ''));
  return parts;
}

function fill(shop: Shop, target: HTMLElement, lead: HTMLElement, options: ShelfOptions, personalLead: (recent: Product[]) => Child[], popularLead: string): void {
  replace(target, skeletonGrid(options.k));
  replace(lead, shop.engine.state.phase === 'ready' ? 'Picking for you…' : 'Loading the recommendation model onto your device…');
  recommend(shop, options).then(
    ({ result, products, recent }) => {
      target.closest('section')?.setAttribute('data-source', result.source);
      replace(lead, result.source === 'personal' ? personalLead(recent) : popularLead);
      replace(target, productGrid(products, 'recommended'), h('p', { class: 'fine' }, result.source === 'personal' ? `Picked on this device from your last ${result.historyUsed} product event${result.historyUsed === 1 ? '' : 's'} in ${result.elapsedMs.toFixed(0)} ms. Your history never leaves this browser.` : 'No history yet, so nothing personal: these are the catalog’s most popular products.'));
    },
    (error: unknown) => {
      target.closest('section')?.setAttribute('data-source', 'error');
      replace(lead, `Recommendations are unavailable: ${(error as Error).message}`);
      replace(target);
    },
  );
}

/** How many recent items the home page shows under "Recently viewed" (and so leaves out of the shelf). */
export const RECENT = 6;

/** Home page shelf: personal picks, or popular items with no history. */
export function recommendedShelf(shop: Shop): HTMLElement {
  const lead = h('span');
  const body = h('div');
  const shelf = section({ id: 'shelf-recommended', title: 'Recommended for you', lead }, body);
  fill(
    shop,
    body,
    lead,
    { k: 6, exclude: shop.cart.ids, excludeRecent: RECENT },
    (recent) => [...becauseYouViewed(recent), h('span', { class: 'muted' }, ' (your most recent items; the model weighs them most).')],
    'Popular with shoppers right now. Browse a few products and this shelf becomes yours.',
  );
  return shelf;
}

/** Product page shelf. localshelf has no `related()` yet: these are recommendations for the shopper's history, which now ends with this product. */
export function relatedShelf(shop: Shop, product: Product): HTMLElement {
  const lead = h('span');
  const body = h('div');
  const shelf = section({ id: 'shelf-related', title: 'Shoppers with your history also liked', lead }, body);
  fill(
    shop,
    body,
    lead,
    { k: 6, exclude: [product.id] },
    (recent) => [`Based on your browsing, ending with ${shortTitle(recent[0]?.title ?? product.title)}.`],
    'Popular with shoppers right now.',
  );
  return shelf;
}
