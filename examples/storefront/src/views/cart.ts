/** The cart: remove items, place a (demo) order, which records purchases so they stop being recommended. */
import { formatPrice, type Product } from '../catalog';
import { h } from '../dom';
import { productArt } from '../product-art';
import type { Shop } from '../shop';
import { section } from './cards';

export function cartView(shop: Shop, ordered = false): HTMLElement {
  const products = shop.cart.ids.map((id) => shop.catalog.get(id)).filter((p): p is Product => p !== undefined);
  if (products.length === 0) {
    return h(
      'div',
      { class: 'page' },
      section(
        { id: 'cart', title: 'Your cart', lead: ordered ? 'Thank you! Your (pretend) order is placed. Purchased items will not be recommended to you again.' : 'Your cart is empty.' },
        h('p', null, h('a', { href: '#/' }, 'Continue shopping')),
      ),
    );
  }
  const total = products.reduce((sum, p) => sum + p.priceCents, 0);
  const rows = products.map((p) =>
    h(
      'li',
      { class: 'cart-row', 'data-id': p.id },
      h('a', { href: `#/product/${encodeURIComponent(p.id)}`, class: 'cart-art' }, productArt(p)),
      h('a', { href: `#/product/${encodeURIComponent(p.id)}`, class: 'cart-title' }, p.title),
      h('span', { class: 'cart-price' }, formatPrice(p.priceCents)),
      h('button', { type: 'button', class: 'link', onclick: () => (shop.cart.remove(p.id), rerender()) }, 'Remove'),
    ),
  );
  const page = h(
    'div',
    { class: 'page' },
    section(
      { id: 'cart', title: 'Your cart', lead: `${products.length} item${products.length === 1 ? '' : 's'}` },
      h('ul', { class: 'cart-list' }, rows),
      h(
        'div',
        { class: 'cart-total' },
        h('span', null, 'Total ', h('b', { 'data-testid': 'cart-total' }, formatPrice(total))),
        h(
          'button',
          {
            class: 'primary',
            type: 'button',
            'data-testid': 'place-order',
            onclick: async () => {
              await Promise.all(products.map((p) => shop.engine.track({ type: 'purchase', itemId: p.id })));
              shop.cart.clear();
              rerender(true);
            },
          },
          'Place order (demo)',
        ),
      ),
    ),
  );
  const rerender = (done = false): void => page.replaceWith(cartView(shop, done));
  return page;
}
