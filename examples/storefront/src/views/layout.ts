/** The page frame: header (logo, search, privacy, cart), the model-loading banner, and the footer. */
import { formatBytes, h, replace } from '../dom';
import { go, type Shop } from '../shop';

export function header(shop: Shop, query: () => string): HTMLElement {
  const input = h('input', { type: 'search', name: 'q', placeholder: 'Search beauty products', 'aria-label': 'Search products', 'data-testid': 'search-input', autocomplete: 'off' });
  const form = h(
    'form',
    {
      class: 'search',
      role: 'search',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const q = input.value.trim();
        if (!q) return;
        // Recorded when the shopper searches, not when a results page is shown again (back button, reload).
        void shop.engine.track({ type: 'search', query: q });
        go(`/search?q=${encodeURIComponent(q)}`);
      },
    },
    input,
    h('button', { type: 'submit' }, 'Search'),
  );
  const cartCount = h('span', { class: 'badge', 'data-testid': 'cart-count' }, String(shop.cart.ids.length));
  shop.cart.subscribe(() => replace(cartCount, String(shop.cart.ids.length)));
  const status = h('a', { class: 'engine-pill', href: '#/privacy', 'data-testid': 'engine-pill' });
  const showStatus = (): void => {
    const { phase } = shop.engine.state;
    status.dataset.phase = phase;
    replace(status, phase === 'ready' ? 'On-device AI' : phase === 'failed' ? 'Recommender offline' : `Loading model ${Math.round(shop.engine.fraction * 100)}%`);
  };
  shop.engine.subscribe(showStatus);
  showStatus();
  window.addEventListener('hashchange', () => {
    if (document.activeElement !== input) input.value = query();
  });
  input.value = query();
  return h(
    'header',
    { class: 'top' },
    h('div', { class: 'top-inner' }, h('a', { class: 'logo', href: '#/' }, h('span', { class: 'logo-mark' }, 'ls'), h('span', null, 'Localshelf ', h('b', null, 'Beauty'))), form, h('nav', { class: 'nav' }, status, h('a', { href: '#/privacy', 'data-testid': 'nav-privacy' }, 'Your data'), h('a', { href: '#/cart', class: 'cart-link', 'data-testid': 'nav-cart' }, 'Cart ', cartCount))),
  );
}

/** A progress bar under the header while the worker downloads and verifies the model; gone once ready. */
export function loadingBanner(shop: Shop): HTMLElement {
  const bar = h('div', { class: 'progress-fill' });
  const label = h('span');
  const detail = h('span', { class: 'progress-detail' });
  const banner = h('div', { class: 'progress', role: 'status', 'data-testid': 'model-progress' }, h('div', { class: 'progress-text' }, label, detail), h('div', { class: 'progress-track' }, bar));
  const started = performance.now();
  const render = (): void => {
    const { phase, files, error } = shop.engine.state;
    banner.dataset.phase = phase;
    if (phase === 'failed') {
      replace(label, `The recommender could not start (${error?.code}): ${error?.message}`);
      replace(detail, 'Browsing and search still work.');
      return;
    }
    const pct = Math.round(shop.engine.fraction * 100);
    bar.style.width = `${phase === 'ready' ? 100 : pct}%`;
    banner.setAttribute('aria-valuenow', String(pct));
    if (phase === 'ready') {
      // A quick start (files already cached) needs no announcement; a slow one gets a short confirmation.
      const slow = performance.now() - started > 1500;
      replace(label, 'Recommendations are ready, running on this device.');
      replace(detail);
      if (slow) setTimeout(() => banner.classList.add('hidden'), 1200);
      else banner.classList.add('hidden');
      return;
    }
    const active = [...files.entries()].find(([, f]) => !f.done);
    replace(label, `Getting recommendations ready on your device… ${pct}%`);
    if (!active) replace(detail, 'starting the engine');
    else if (active[1].loaded === 0) replace(detail, `waiting for ${active[0]}`);
    else replace(detail, `${active[0]} ${formatBytes(active[1].loaded)}${active[1].total ? ` of ${formatBytes(active[1].total)}` : ''}`);
  };
  shop.engine.subscribe(render);
  render();
  return banner;
}

export function footer(): HTMLElement {
  return h(
    'footer',
    { class: 'foot' },
    h(
      'div',
      { class: 'foot-inner' },
      h('p', { 'data-testid': 'attribution' }, 'Catalog: Amazon product review data (Beauty, 5-core), J. McAuley, UCSD; used for research and demonstration.'),
      h('p', null, 'This is a demo store: prices are illustrative, product pictures are drawings, nothing is sold. Recommendations are computed in your browser by ', h('a', { href: '#/privacy' }, 'localshelf'), '; your history never leaves this device.'),
    ),
  );
}
