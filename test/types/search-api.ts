// Type tests of the search API, checked by `npm run typecheck` (tsc). A line marked @ts-expect-error fails the
// check if it ever compiles.
import { createRecommender, type AddItemsResult, type SearchHit, type SearchInfo, type SearchResult } from '../../src/index';
import { assertType, type Equal } from './type-assert';


export async function searchTypeTests(): Promise<void> {
  const r = await createRecommender({
    model: '/models/beauty/manifest.json',
    search: { textModel: 'Xenova/all-MiniLM-L6-v2', textModelPath: '/models/', textDtype: 'q8', offlineCache: false },
  });
  const result = await r.search('lip gloss', { k: 5, personalize: false, filter: { ids: ['A'] } }, { signal: AbortSignal.timeout(100) });
  assertType<Equal<typeof result, SearchResult>>();
  const hit: SearchHit = result.items[0]!;
  assertType<Equal<typeof hit.why.matchedTerms, string[]>>();
  assertType<Equal<typeof hit.why.personal, number>>();
  const added = await r.catalog.add([{ id: 'N1', title: 'New lip gloss', text: 'brand, category' }]);
  assertType<Equal<typeof added, AddItemsResult>>();
  // @ts-expect-error a new item needs a title
  await r.catalog.add([{ id: 'N2' }]);
  // @ts-expect-error the query is a string
  await r.search(42);
  // @ts-expect-error textDtype is a closed union
  await createRecommender({ model: 'm', search: { textDtype: 'fp64' } });
  await createRecommender({ model: 'm', search: { textModel: false } });
  // Search is built in the background: its info may be missing until searchReady() resolves.
  assertType<Equal<typeof r.searchInfo, SearchInfo | undefined>>();
  const info = await r.searchReady({ signal: AbortSignal.timeout(1000) });
  assertType<Equal<typeof info, SearchInfo>>();
  assertType<Equal<typeof r.model.scorer, 'wasm-simd' | 'js'>>();
  await createRecommender({ model: 'm', search: { eager: true } });
  // @ts-expect-error eager is a boolean
  await createRecommender({ model: 'm', search: { eager: 'yes' } });
}
