// A Vite + React shop through localshelf/react (plain createElement: no JSX plugin needed).
import { createElement as h, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { useRecommendations, useRecommender } from 'localshelf/react';

function Recommended() {
  const { recommender, error } = useRecommender({ model: '/models/beauty/manifest.json' });
  const [viewed, setViewed] = useState(false);
  useEffect(() => {
    if (recommender) recommender.track({ type: 'view', itemId: 'B004756YJA' }).then(() => setViewed(true), (e) => (window.shopResult = { error: String(e.code ?? e) }));
  }, [recommender]);
  const recs = useRecommendations(viewed ? recommender : undefined, { k: 5 });
  const failed = error ?? recs.error;
  useEffect(() => {
    if (failed) window.shopResult = { error: `${failed.code ?? failed.name}: ${failed.message}` };
    else if (recs.data) window.shopResult = { items: recs.data.items, source: recs.data.source, backend: recommender.backend.name, skipped: recommender.backend.skipped };
  }, [failed, recs.data, recommender]);
  return h('main', null, h('h1', null, 'Recommended for you'),
    h('ol', { id: 'recommended' }, (recs.data?.items ?? []).map((item) => h('li', { key: item.id, id: item.id }, item.title))));
}

createRoot(document.getElementById('root')).render(h(Recommended));
