// What a storefront writes from the README's Use section, nothing more.
import { createRecommender } from 'localshelf';

try {
  const recommender = await createRecommender({ model: '/models/beauty/manifest.json' });
  await recommender.track({ type: 'view', itemId: 'B004756YJA' });
  const { items, source } = await recommender.recommend({ k: 5 });
  document.querySelector('#recommended').append(...items.map((item) => Object.assign(document.createElement('li'), { textContent: item.title, id: item.id })));
  window.shopResult = { items, source, backend: recommender.backend.name, skipped: recommender.backend.skipped };
} catch (error) {
  window.shopResult = { error: `${error.code ?? error.name}: ${error.message}` };
}
