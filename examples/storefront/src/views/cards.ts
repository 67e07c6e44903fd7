/** Product cards, grids and shelves. */
import { formatPrice, type Product } from '../catalog';
import { h, type Child } from '../dom';
import { productArt } from '../product-art';

/** What a card of a recommendation shelf carries besides the product: the shelf's id and the top reason. */
export interface CardExtras {
  recommendationId?: string;
  /** "Because you viewed …": the history item the library names as the closest to this pick. */
  because?: string;
}

export function productCard(product: Product, list: string, extras: CardExtras = {}): HTMLElement {
  return h(
    'a',
    { class: 'card', href: `#/product/${encodeURIComponent(product.id)}`, 'data-id': product.id, 'data-list': list, title: product.title, ...(extras.recommendationId ? { 'data-rid': extras.recommendationId } : {}) },
    h('div', { class: 'card-art' }, productArt(product)),
    h(
      'div',
      { class: 'card-body' },
      h('span', { class: 'card-category' }, product.category),
      h('span', { class: 'card-title' }, product.title),
      h('span', { class: 'card-price' }, formatPrice(product.priceCents)),
      extras.because ? h('span', { class: 'card-because', 'data-testid': 'card-because' }, `Because you viewed ${extras.because}`) : null,
    ),
  );
}

export function productGrid(products: readonly Product[], list: string, extras: readonly CardExtras[] = []): HTMLElement {
  return h('div', { class: 'grid', 'data-testid': `grid-${list}` }, products.map((p, i) => productCard(p, list, extras[i])));
}

/** Grey cards shown while the on-device model is still loading. */
export function skeletonGrid(n: number): HTMLElement {
  return h('div', { class: 'grid', 'aria-hidden': 'true' }, Array.from({ length: n }, () => h('div', { class: 'card skeleton' }, h('div', { class: 'card-art' }), h('div', { class: 'card-body' }, h('span', { class: 'bar' }), h('span', { class: 'bar short' })))));
}

export function section(props: { id: string; title: string; lead?: Child | Child[] }, ...body: Child[]): HTMLElement {
  return h('section', { class: 'section', 'data-testid': props.id }, h('header', { class: 'section-head' }, h('h2', null, props.title), props.lead ? h('p', { class: 'lead' }, props.lead) : null), ...body);
}
