/**
 * "Your data": what the shop keeps about the shopper (all of it, on this device), export and delete, and the
 * engine's status (backend, model, adapter channel).
 */
import type { MetricsResult, Recommender, StoredEvent } from 'localshelf';
import { h, replace, type Child } from '../dom';
import type { Shop } from '../shop';
import { section } from './cards';

const SHOWN = 100;
const LABEL: Record<StoredEvent['type'], string> = { view: 'Viewed', click: 'Clicked', add_to_cart: 'Added to cart', purchase: 'Bought', impression: 'Was shown', search: 'Searched for' };

export function privacyView(shop: Shop): HTMLElement {
  const data = h('div', null, h('p', { class: 'muted' }, 'Reading your history from this browser…'));
  const engine = h('div', null, h('p', { class: 'muted' }, 'Waiting for the on-device model…'));
  const metrics = h('div', null, h('p', { class: 'muted' }, 'Counting…'));
  shop.engine.ready.then(
    async (r) => {
      replace(engine, engineStatus(r));
      void r.metrics().then((m) => replace(metrics, metricsTable(m)), (error: unknown) => replace(metrics, h('p', null, String((error as Error).message))));
      await renderData(shop, r, data);
    },
    (error: unknown) => {
      const text = `The recommender could not start: ${(error as Error).message}`;
      replace(engine, h('p', null, text));
      replace(data, h('p', null, text));
    },
  );
  return h(
    'div',
    { class: 'page privacy' },
    section(
      { id: 'privacy', title: 'Your data stays on this device' },
      h(
        'div',
        { class: 'promise', 'data-testid': 'privacy-statement' },
        h('p', null, h('b', null, 'Nothing leaves the device. '), 'What you view, search for and put in your cart is stored only in this browser, and the recommendations are computed here, by a model running on your own computer or phone.'),
        h('p', null, 'This shop’s server only hands out the same files to every visitor: the page, its code and the model. It never receives your history, your searches or your cart, and there is no account, cookie or analytics script.'),
      ),
      data,
    ),
    section({ id: 'engine-status', title: 'How the recommendations run' }, engine),
    section({ id: 'shelf-metrics', title: 'Shelf metrics in this browser', lead: 'Counted on this device from the shelves you were shown and what you did next (recommender.metrics()). A shop could report such counters for an A/B test; this one does not.' }, metrics),
  );
}

async function renderData(shop: Shop, r: Recommender, target: HTMLElement): Promise<void> {
  const events = await r.history.export();
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  const summary = events.length === 0 ? 'Your history is empty. Recommendations show what is popular until you browse.' : `Your on-device history holds ${events.length} event${events.length === 1 ? '' : 's'}: ${[...counts].map(([type, n]) => `${n} ${LABEL[type as StoredEvent['type']].toLowerCase()}`).join(', ')}.`;
  const confirm = h('span', { class: 'confirm', hidden: true });
  const deleteButton = h('button', { type: 'button', class: 'danger', 'data-testid': 'delete-history', disabled: events.length === 0 && shop.cart.ids.length === 0 }, 'Delete my history');
  deleteButton.addEventListener('click', () => {
    confirm.hidden = false;
    deleteButton.hidden = true;
  });
  replace(
    confirm,
    `Delete all ${events.length} events and your cart from this browser? `,
    h('button', { type: 'button', class: 'danger', 'data-testid': 'confirm-delete', onclick: async () => {
      await r.history.clear();
      shop.cart.clear();
      await renderData(shop, r, target);
      target.prepend(h('p', { class: 'notice', 'data-testid': 'deleted-notice' }, 'Deleted. This shop now knows nothing about you.'));
    } }, 'Yes, delete everything'),
    ' ',
    h('button', { type: 'button', class: 'link', onclick: () => ((confirm.hidden = true), (deleteButton.hidden = false)) }, 'Cancel'),
  );
  replace(
    target,
    h('p', { 'data-testid': 'history-summary' }, summary, shop.cart.ids.length ? ` Your cart holds ${shop.cart.ids.length} item${shop.cart.ids.length === 1 ? '' : 's'}.` : ''),
    h('div', { class: 'actions' }, h('button', { type: 'button', 'data-testid': 'export-history', disabled: events.length === 0, onclick: () => download(events) }, 'Export my history (JSON)'), deleteButton, confirm),
    events.length ? historyTable(shop, events) : null,
  );
}

function historyTable(shop: Shop, events: readonly StoredEvent[]): HTMLElement {
  const rows = [...events].reverse().slice(0, SHOWN).map((e) => {
    let what: Child = '';
    if ('itemId' in e) {
      const p = shop.catalog.get(e.itemId);
      what = p ? h('a', { href: `#/product/${encodeURIComponent(p.id)}` }, p.title) : e.itemId;
    } else if (e.type === 'search') what = `“${e.query}”`;
    else what = `${e.itemIds.length} products`;
    return h('tr', null, h('td', { class: 'when' }, new Date(e.timestamp).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' })), h('td', null, LABEL[e.type]), h('td', null, what));
  });
  return h(
    'div',
    { class: 'history' },
    h('table', { 'data-testid': 'history-table' }, h('thead', null, h('tr', null, h('th', null, 'When'), h('th', null, 'What you did'), h('th', null, 'Item'))), h('tbody', null, rows)),
    events.length > SHOWN ? h('p', { class: 'muted' }, `…and ${events.length - SHOWN} older events (all included in the export).`) : null,
  );
}

function download(events: readonly StoredEvent[]): void {
  const blob = new Blob([JSON.stringify({ exportedAt: new Date().toISOString(), events }, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: `localshelf-history-${new Date().toISOString().slice(0, 10)}.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function engineStatus(r: Recommender): HTMLElement {
  const b = r.backend;
  const m = r.model;
  const row = (label: string, value: Child | Child[], id?: string): HTMLElement => h('div', { class: 'kv' }, h('dt', null, label), h('dd', id ? { 'data-testid': id } : null, value));
  return h(
    'dl',
    { class: 'status' },
    row('Backend', `${b.name === 'wasm' ? 'WebAssembly (CPU)' : 'WebGPU'} · ${b.threads} thread${b.threads === 1 ? '' : 's'}`, 'backend-status'),
    row('Why', b.reason),
    b.skipped.length ? row('Skipped', b.skipped.map((s) => h('div', null, `${s.name}: ${s.reason}`))) : null,
    b.adapter ? row('GPU adapter', `${b.adapter.vendor || 'unknown vendor'} ${b.adapter.architecture}${b.adapter.isFallbackAdapter ? ' (software fallback)' : ''}`) : null,
    row('Model', `${m.name}: ${m.items.toLocaleString('en-US')} products, ${m.dim}-dimensional, last ${m.maxLen} events`, 'model-status'),
    row('Scoring', m.scorer === 'wasm-simd' ? 'WebAssembly SIMD kernel over the int8 item matrix' : 'JavaScript loop over the int8 item matrix (no WebAssembly SIMD here)', 'scorer-status'),
    row('Model fingerprint', h('code', { title: m.sha256 }, `sha256 ${m.sha256.slice(0, 16)}…`)),
    row('Search', 'Runs in the same worker on this device, over the catalog’s product titles.'),
    row('Model updates', 'No adapter channel configured: this shop serves the base model only.', 'adapter-status'),
    row('Where your data lives', 'Your history: IndexedDB in this browser (database “localshelf”). Your cart: localStorage. The browser also keeps a search index of the catalog and copies of the model files, so the shop works offline; those say nothing about you.'),
  );
}

function metricsTable(m: MetricsResult): HTMLElement {
  const slots = Object.entries(m.slots);
  if (slots.length === 0) return h('p', { class: 'muted' }, 'No shelf has been shown yet.');
  const pct = (x: number): string => `${(100 * x).toFixed(0)} %`;
  return h(
    'table',
    { class: 'history', 'data-testid': 'metrics-table' },
    h('thead', null, h('tr', null, ...['shelf', 'shown', 'clicks', 'click rate', 'added to cart', 'bought'].map((t) => h('th', null, t)))),
    h('tbody', null, ...slots.map(([slot, s]) => h('tr', { 'data-slot': slot }, h('td', null, slot), h('td', null, String(s.shelves)), h('td', null, String(s.clicks)), h('td', null, pct(s.ctr)), h('td', null, String(s.addToCart)), h('td', null, String(s.purchases))))),
  );
}
