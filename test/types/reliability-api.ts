// Type tests of the storage, backend-change, omit and related() surface, checked by `npm run typecheck`.
import { createRecommender, type Reason, type RecommendResult, type RelatedResult, type StorageKind, type StorageInfo } from '../../src/index';
import { assertType, type Equal } from './type-assert';

export async function reliabilityTypeTests(): Promise<void> {
  const r = await createRecommender({ model: '/m/manifest.json', storage: 'auto' });
  assertType<Equal<typeof r.storage, StorageKind>>();
  assertType<Equal<StorageKind, 'indexeddb' | 'memory'>>();
  const info: StorageInfo = r.storageInfo;
  void info.skipped;
  r.addEventListener('storagechange', (e) => assertType<Equal<typeof e.storage, StorageInfo>>());
  r.addEventListener('backendchange', (e) => void (e.recoveryMs + e.previous.threads));
  // @ts-expect-error storage is a closed union
  await createRecommender({ model: 'm', storage: 'disk' });
  await r.recommend({ omit: 'purchased' });
  // @ts-expect-error omit is a closed union
  await r.recommend({ omit: 'all' });
  const rec = await r.recommend();
  const because: Reason[] | undefined = rec.items[0]?.because;
  void because;
  const related = await r.related('B004756YJA', { k: 5, mode: 'similar' });
  assertType<Equal<typeof related, RelatedResult>>();
  assertType<Equal<RelatedResult['mode'], 'also' | 'similar'>>();
  // @ts-expect-error mode is a closed union
  await r.related('B004756YJA', { mode: 'bought' });
}

// localshelf/react: hooks typed over the core's types.
import { useRecommendations, useRecommender, useSearch } from '../../src/react';
export function reactTypeTests(): void {
  const { recommender } = useRecommender({ model: '/m/manifest.json' });
  const recs = useRecommendations(recommender, { k: 4, slot: 'home' });
  assertType<Equal<typeof recs.data, RecommendResult | undefined>>();
  const hits = useSearch(recommender, 'lipstick');
  void hits.refresh;
}
