/**
 * The "Recommended for you" shelf and the product page's related shelf: both ask the on-device recommender and
 * say, in plain words, what the picks are based on.
 */
import type { Recommendation, Rules } from 'localshelf';
import { categoryPath, type Category, type Product } from '../catalog';
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
  /** The shelf's name in `metrics()`. */
  slot: string;
  /** The product page's shelf: `related(productId)` instead of `recommend()`. */
  relatedTo?: string;
  /** Only products with these catalog attributes (`rules.where`, applied in the worker after full scoring). */
  where?: Rules['where'];
}

interface Shelf {
  /** `'personal'` / `'popular'` (recommend), `'also'` (related). */
  source: string;
  recommendationId: string;
  items: Recommendation[];
  historyUsed: number;
  elapsedMs: number;
  products: Product[];
  recent: Product[];
}

/**
 * Runs the recommender and maps results onto catalog products. The home shelf asks for some variety (an MMR
 * trade-off, `diversity.lambda`) so that six nail polishes in a row give way to a few other kinds of product.
 */
async function recommend(shop: Shop, options: ShelfOptions): Promise<Shelf> {
  const recommender = await shop.engine.ready;
  const history = await recommender.history.export();
  const recent = recentItems(history, shop.catalog, Math.max(3, options.excludeRecent ?? 0));
  const exclude = [...options.exclude, ...recent.slice(0, options.excludeRecent ?? 0).map((p) => p.id)];
  const result = options.relatedTo
    ? await recommender.related(options.relatedTo, { k: options.k, exclude, slot: options.slot, omit: 'history' })
    : await recommender.recommend({ k: options.k, exclude, slot: options.slot, rules: options.where ? { where: options.where } : { diversity: { lambda: 0.8 } } });
  const items = result.items.filter((item) => shop.catalog.get(item.id));
  const source = 'source' in result ? result.source : result.mode;
  const historyUsed = 'historyUsed' in result ? result.historyUsed : 1;
  return { source, recommendationId: result.recommendationId, items, historyUsed, elapsedMs: result.elapsedMs, products: items.map((i) => shop.catalog.get(i.id)!), recent: recent.slice(0, 3) };
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
    (result) => {
      const { products, recent } = result;
      target.closest('section')?.setAttribute('data-source', result.source);
      replace(lead, result.source === 'popular' ? popularLead : personalLead(recent));
      const extras = result.items.map((item) => {
        const reason = item.because?.[0];
        return { recommendationId: result.recommendationId, ...(reason ? { because: shortTitle(reason.title, 36) } : {}) };
      });
      const note =
        result.source === 'personal'
          ? `Picked on this device from your last ${result.historyUsed} product event${result.historyUsed === 1 ? '' : 's'} in ${result.elapsedMs.toFixed(0)} ms. Your history never leaves this browser.`
          : result.source === 'also'
            ? `Worked out on this device in ${result.elapsedMs.toFixed(0)} ms from what shoppers went on to after this product.`
            : 'No history yet, so nothing personal: these are the catalog’s most popular products.';
      replace(target, productGrid(products, options.relatedTo ? 'related' : 'recommended', extras), h('p', { class: 'fine' }, note));
      // What was shown, for the feedback loop and this browser's shelf metrics (both on the device).
      if (products.length) void shop.engine.track({ type: 'impression', itemIds: products.map((p) => p.id), recommendationId: result.recommendationId });
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
    { k: 6, exclude: shop.cart.ids, excludeRecent: RECENT, slot: 'home' },
    (recent) => [...becauseYouViewed(recent), h('span', { class: 'muted' }, ' (your most recent items; the model weighs them most).')],
    'Popular with shoppers right now. Browse a few products and this shelf becomes yours.',
  );
  return shelf;
}

/** Product page shelf: `related()`, what shoppers went on to after this product (the shopper's own items left out). */
export function relatedShelf(shop: Shop, product: Product): HTMLElement {
  const lead = h('span');
  const body = h('div');
  const shelf = section({ id: 'shelf-related', title: 'Shoppers who viewed this went on to', lead }, body);
  fill(
    shop,
    body,
    lead,
    { k: 6, exclude: [product.id, ...shop.cart.ids], slot: 'product-page', relatedTo: product.id },
    () => [`What shoppers looked at next after ${shortTitle(product.title)}, worked out on this device.`],
    'Popular with shoppers right now.',
  );
  return shelf;
}

/**
 * Category page shelf: the shopper's own ranking, filtered in the worker to the category (`rules.where` on the
 * catalog's `category` path), so it holds `k` products whenever the category has that many.
 */
export function categoryShelf(shop: Shop, category: Category): HTMLElement {
  const lead = h('span');
  const body = h('div');
  const shelf = section({ id: 'shelf-category', title: `Recommended for you in ${category}`, lead }, body);
  const where = { category: category === 'Beauty' ? 'Beauty' : { prefix: categoryPath(category) } };
  fill(
    shop,
    body,
    lead,
    { k: 6, exclude: shop.cart.ids, slot: 'category', where },
    (recent) => [...becauseYouViewed(recent), ` (only ${category.toLowerCase()}).`],
    `Popular ${category.toLowerCase()} right now. Browse a few products and this shelf becomes yours.`,
  );
  return shelf;
}
