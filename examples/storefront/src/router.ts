/** Hash routes: `#/`, `#/search?q=…`, `#/category/…`, `#/product/…`, `#/cart`, `#/privacy`. */
import type { Shop } from './shop';
import { cartView } from './views/cart';
import { homeView } from './views/home';
import { privacyView } from './views/privacy';
import { productView } from './views/product';
import { categoryView, searchView } from './views/search';

export interface Route {
  path: string;
  params: URLSearchParams;
}

export function currentRoute(): Route {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path = '/', query = ''] = raw.split('?', 2);
  return { path, params: new URLSearchParams(query) };
}

export function render(shop: Shop, route: Route): HTMLElement {
  const [, first = '', second = ''] = route.path.split('/');
  const arg = decodeURIComponent(second);
  switch (first) {
    case 'search':
      return searchView(shop, route.params.get('q')?.trim() ?? '');
    case 'category':
      return categoryView(shop, arg);
    case 'product':
      return productView(shop, arg);
    case 'cart':
      return cartView(shop);
    case 'privacy':
      return privacyView(shop);
    default:
      return homeView(shop);
  }
}

export function titleFor(shop: Shop, route: Route): string {
  const [, first = '', second = ''] = route.path.split('/');
  const name = first === 'product' ? shop.catalog.get(decodeURIComponent(second))?.title : first === 'search' ? `Search: ${route.params.get('q') ?? ''}` : first ? first[0]!.toUpperCase() + first.slice(1) : '';
  return name ? `${name} · Localshelf Beauty` : 'Localshelf Beauty';
}
