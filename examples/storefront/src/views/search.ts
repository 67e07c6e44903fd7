/** Search results and category pages. */
import { CATEGORIES, type Category } from '../catalog';
import { h, replace } from '../dom';
import { searchProducts } from '../search';
import type { Shop } from '../shop';
import { productGrid, section, skeletonGrid } from './cards';
import { categoryShelf } from './recommended';

const RESULTS = 48;

export function searchView(shop: Shop, query: string): HTMLElement {
  const body = h('div', null, skeletonGrid(8));
  const lead = h('span', null, 'Searching…');
  searchProducts(shop.catalog, shop.engine, query, RESULTS).then(
    ({ products, by, personalized }) => {
      const how = by === 'title-match' ? ' Title matches while the search model loads.' : personalized ? ' Ranked with your on-device history.' : '';
      body.closest('section')?.setAttribute('data-by', by);
      replace(lead, products.length === 0 ? `No products match “${query}”.` : `${products.length === RESULTS ? `Top ${RESULTS}` : products.length} results for “${query}”.${how}`);
      replace(body, products.length ? productGrid(products, 'search') : h('p', { class: 'empty' }, 'Try fewer or different words, or browse the bestsellers on the home page.'));
    },
    (error: unknown) => replace(lead, `Search failed: ${(error as Error).message}`),
  );
  return h('div', { class: 'page' }, section({ id: 'search-results', title: 'Search', lead }, body));
}

export function categoryView(shop: Shop, name: string): HTMLElement {
  const category = (CATEGORIES as readonly string[]).includes(name) ? (name as Category) : undefined;
  if (!category) return h('div', { class: 'page' }, h('p', { class: 'empty' }, `No category called “${name}”.`));
  const products = shop.catalog.bestsellers(RESULTS, category);
  return h(
    'div',
    { class: 'page' },
    categoryShelf(shop, category),
    section({ id: 'category', title: `Most reviewed in ${category}`, lead: `The ${products.length} most reviewed ${category.toLowerCase()} products.` }, productGrid(products, 'category')),
  );
}
