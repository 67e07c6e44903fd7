/**
 * Localshelf Beauty, the demo storefront. Plain TypeScript and DOM: it shows how a shop wires localshelf in.
 *
 * One recommender per page load, created before anything else so the model downloads while the shopper looks
 * around. `?model=<url of manifest.json>` points the shop at another model (default: the shipped Beauty model).
 */
import type { Recommender } from 'localshelf';
import { Cart } from './cart';
import { loadCatalog } from './catalog';
import { h, replace } from './dom';
import { Engine } from './engine';
import { currentRoute, render, titleFor } from './router';
import type { Shop } from './shop';
import './styles.css';
import { footer, header, loadingBanner } from './views/layout';

declare global {
  interface Window {
    /** For devtools and the demo's browser tests: the running recommender. */
    storefront?: { ready: Promise<Recommender> };
  }
}

const modelUrl = new URL(new URLSearchParams(location.search).get('model') ?? './models/beauty/manifest.json', location.href).href;
const engine = new Engine(modelUrl);
window.storefront = { ready: engine.ready };

const app = document.getElementById('app')!;
const main = h('main', { class: 'main' }, h('p', { class: 'muted loading' }, 'Opening the shop…'));

async function start(): Promise<void> {
  const cart = new Cart();
  const shopShell = { engine, cart } as Shop;
  replace(app, header(shopShell, () => currentRoute().params.get('q') ?? ''), loadingBanner(shopShell), main, footer());
  try {
    shopShell.catalog = await loadCatalog(modelUrl);
  } catch (error) {
    replace(main, h('h1', null, 'The shop could not load its catalog'), h('p', null, String((error as Error).message)));
    return;
  }
  const shop: Shop = shopShell;
  const show = (): void => {
    const route = currentRoute();
    document.title = titleFor(shop, route);
    replace(main, render(shop, route));
    window.scrollTo(0, 0);
  };
  window.addEventListener('hashchange', show);
  // A click on a recommended product is a stronger signal than the view that follows it; it carries the shelf's
  // recommendationId for this browser's shelf metrics.
  main.addEventListener('click', (event) => {
    const card = (event.target as Element).closest<HTMLElement>('a.card[data-rid]');
    if (card?.dataset.id) void engine.track({ type: 'click', itemId: card.dataset.id, recommendationId: card.dataset.rid! });
  });
  show();
  document.body.dataset.shop = 'ready';
}

void start();
