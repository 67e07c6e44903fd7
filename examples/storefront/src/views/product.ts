/** A product page: tracks the view, offers add-to-cart, and shows what shoppers with this history also liked. */
import { formatPrice } from '../catalog';
import { h, replace } from '../dom';
import { productArt } from '../product-art';
import type { Shop } from '../shop';
import { relatedShelf } from './recommended';

export function productView(shop: Shop, id: string): HTMLElement {
  const product = shop.catalog.get(id);
  if (!product) return h('div', { class: 'page' }, h('h1', null, 'Product not found'), h('p', { class: 'empty' }, 'That product is not in this catalog. ', h('a', { href: '#/' }, 'Back to the shop')));
  // The related shelf asks for recommendations only after the view is stored, so it reflects this product.
  const viewed = shop.engine.track({ type: 'view', itemId: product.id });
  const button = h('button', { class: 'primary', type: 'button', 'data-testid': 'add-to-cart' });
  const renderButton = (): void => {
    const inCart = shop.cart.has(product.id);
    replace(button, inCart ? 'In your cart ✓' : 'Add to cart');
    button.classList.toggle('done', inCart);
  };
  button.addEventListener('click', () => {
    if (shop.cart.has(product.id)) return void (location.hash = '#/cart');
    shop.cart.add(product.id);
    void shop.engine.track({ type: 'add_to_cart', itemId: product.id });
  });
  const unsubscribe = shop.cart.subscribe(() => (button.isConnected ? renderButton() : unsubscribe()));
  renderButton();
  const related = h('div');
  void viewed.then(() => replace(related, relatedShelf(shop, product)));
  return h(
    'div',
    { class: 'page product', 'data-testid': 'product-page', 'data-id': product.id },
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Shop'), ' / ', h('a', { href: `#/category/${encodeURIComponent(product.category)}` }, product.category)),
    h(
      'div',
      { class: 'product-main' },
      h('div', { class: 'product-art' }, productArt(product, 'large')),
      h(
        'div',
        { class: 'product-info' },
        h('h1', { 'data-testid': 'product-title' }, product.title),
        h('p', { class: 'price' }, formatPrice(product.priceCents), h('span', { class: 'muted' }, ' illustrative price')),
        h('p', { class: 'muted' }, `Item ${product.id} · ${product.popularity.toLocaleString('en-US')} shoppers reviewed it in the catalog data.`),
        button,
        h('p', { class: 'fine' }, 'Viewing this page was recorded in your on-device history only. ', h('a', { href: '#/privacy' }, 'See or delete it.')),
      ),
    ),
    related,
  );
}
