'use client';
// localshelf imported at the top of a client component: Next.js also evaluates this module on the server when it
// renders the page, so the library must not touch Worker, indexedDB or navigator at import.
import { createRecommender } from 'localshelf';
import { useEffect, useState } from 'react';

export default function Recommended() {
  const [items, setItems] = useState([]);
  useEffect(() => {
    let recommender;
    let gone = false;
    (async () => {
      try {
        recommender = await createRecommender({ model: '/models/beauty/manifest.json' });
        if (gone) return recommender.dispose();
        await recommender.track({ type: 'view', itemId: 'B004756YJA' });
        const { items, source } = await recommender.recommend({ k: 5 });
        setItems(items);
        window.shopResult = { items, source, backend: recommender.backend.name, skipped: recommender.backend.skipped };
      } catch (error) {
        window.shopResult = { error: `${error.code ?? error.name}: ${error.message}` };
      }
    })();
    return () => {
      gone = true;
      recommender?.dispose();
    };
  }, []);
  return (
    <ol id="recommended">
      {items.map((item) => (
        <li key={item.id} id={item.id}>{item.title}</li>
      ))}
    </ol>
  );
}
