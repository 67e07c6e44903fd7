// Type tests of the public API, checked by `npm run typecheck` (tsc). A line marked @ts-expect-error fails
// the check if it ever compiles.
import {
  createRecommender,
  isLocalshelfError,
  type ErrorCode,
  type Progress,
  type Recommender,
  type RecommendResult,
  type TrackEvent,
} from '../../src/index';
import { assertType, type Equal } from './type-assert';


export async function typeTests(): Promise<void> {
  const r: Recommender = await createRecommender({ model: '/models/beauty/manifest.json', backend: 'wasm' });
  const result = await r.recommend({ k: 5, exclude: ['A'], filter: { ids: ['B'] } });
  assertType<Equal<typeof result, RecommendResult>>();
  assertType<Equal<RecommendResult['source'], 'personal' | 'popular'>>();
  assertType<Equal<typeof r.backend.name, 'webgpu' | 'wasm'>>();
  await r.track({ type: 'view', itemId: 'A' });
  await r.track({ type: 'impression', itemIds: ['A', 'B'] });
  await r.track({ type: 'search', query: 'lipstick' }, { signal: AbortSignal.timeout(100) });
  // @ts-expect-error an item event needs itemId
  await r.track({ type: 'purchase' });
  // @ts-expect-error unknown event type
  await r.track({ type: 'like', itemId: 'A' });
  // @ts-expect-error backend is a closed union
  await createRecommender({ model: 'm', backend: 'cuda' });
  const onProgress = (p: Progress): number => (p.status === 'download' ? p.loaded : 0);
  void onProgress;
  const e: unknown = null;
  if (isLocalshelfError(e)) {
    const code: ErrorCode = e.code;
    // @ts-expect-error codes are a closed union
    const bad: typeof code = 'SOMETHING_ELSE';
    void bad;
  }
  const t: TrackEvent = { type: 'add_to_cart', itemId: 'A', timestamp: 1 };
  void t;
  r.dispose();
  await r[Symbol.asyncDispose]();
}
