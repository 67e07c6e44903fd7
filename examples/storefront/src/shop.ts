/** What every view gets: the catalog, the recommender handle and the cart. */
import type { Cart } from './cart';
import type { Catalog } from './catalog';
import type { Engine } from './engine';

export interface Shop {
  catalog: Catalog;
  engine: Engine;
  cart: Cart;
}

/** Navigates inside the single-page shop (hash routes, so nothing about browsing reaches the server). */
export function go(path: string): void {
  location.hash = `#${path}`;
}
