/** The front page: personal shelf, recently viewed, category links, bestsellers. */
import { CATEGORIES, type Category } from '../catalog';
import { h, replace } from '../dom';
import { recentlyViewed } from '../explain';
import type { Shop } from '../shop';
import { productGrid, section } from './cards';
import { RECENT, recommendedShelf } from './recommended';

/** Category rows under the shelf; they leave out the overall top six, which the shelf shows to new shoppers. */
const BESTSELLER_ROWS: Category[] = ['Skin care', 'Hair', 'Nails'];

export function homeView(shop: Shop): HTMLElement {
  const topSix = new Set(shop.catalog.bestsellers(6).map((p) => p.id));
  const recent = h('div');
  const recentSection = section({ id: 'recently-viewed', title: 'Recently viewed' }, recent);
  recentSection.hidden = true;
  void shop.engine.ready
    .then((r) => recentlyViewed(r, shop.catalog, RECENT))
    .then((items) => {
      if (items.length === 0) return;
      recentSection.hidden = false;
      replace(recent, productGrid(items, 'recent'));
    })
    .catch(() => undefined);
  return h(
    'div',
    { class: 'page home' },
    h(
      'div',
      { class: 'hero' },
      h('div', null, h('h1', null, 'Beauty picks that stay between you and your browser.'), h('p', null, `${shop.catalog.size.toLocaleString('en-US')} products. Recommendations are worked out on this device from what you browse; no account, no tracking, nothing sent anywhere.`)),
      h('a', { class: 'hero-link', href: '#/privacy' }, 'See what this shop knows about you →'),
    ),
    h('nav', { class: 'chips', 'aria-label': 'Categories' }, CATEGORIES.filter((c) => c !== 'Beauty').map((c) => h('a', { class: 'chip', href: `#/category/${encodeURIComponent(c)}` }, c))),
    recommendedShelf(shop),
    recentSection,
    ...BESTSELLER_ROWS.map((category) =>
      section({ id: `bestsellers-${category.toLowerCase().replace(/\W+/g, '-')}`, title: `Bestsellers in ${category}`, lead: h('a', { href: `#/category/${encodeURIComponent(category)}` }, `See all ${category.toLowerCase()}`) }, productGrid(shop.catalog.bestsellers(6, category, topSix), 'bestsellers')),
    ),
  );
}
