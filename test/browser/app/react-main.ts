// The React test page: a shelf built with `localshelf/react` (the BUILT entry, dist/react.js), no JSX.
// window.shelfApp drives it from Playwright: setK(n) re-renders with another request, unmount() removes it.
import { createElement as h, StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { useRecommendations, useRecommender, useSearch } from 'localshelf/react';

declare global {
  interface Window {
    shelfApp: { setK(k: number): void; setQuery(q: string): void; unmount(): void; renders: number };
  }
}

function Shelf() {
  const [k, setK] = useState(3);
  const [query, setQuery] = useState('');
  const { recommender, error } = useRecommender({ model: '/models/beauty/manifest.json', storageName: 'react' });
  const recs = useRecommendations(recommender, { k });
  const hits = useSearch(recommender, query, { k: 2 });
  window.shelfApp.setK = setK;
  window.shelfApp.setQuery = setQuery;
  window.shelfApp.renders++;
  if (error) return h('p', { id: 'error' }, String((error as { code?: string }).code));
  return h(
    'div',
    null,
    h('ol', { id: 'recs', 'data-loading': String(recs.loading) }, ...(recs.data?.items ?? []).map((i) => h('li', { key: i.id, 'data-id': i.id }, i.title))),
    h('ul', { id: 'hits' }, ...(hits.data?.items ?? []).map((i) => h('li', { key: i.id, 'data-id': i.id }, i.title))),
  );
}

window.shelfApp = { setK: () => undefined, setQuery: () => undefined, unmount: () => undefined, renders: 0 };
const root = createRoot(document.getElementById('root')!);
root.render(h(StrictMode, null, h(Shelf)));
window.shelfApp.unmount = () => root.unmount();
