// Type tests of the adapter-update API, checked by `npm run typecheck` (tsc). A line marked @ts-expect-error
// fails the check if it ever compiles.
import {
  AdapterChangeEvent,
  AdapterErrorEvent,
  createRecommender,
  type AdapterInfo,
  type AdapterSyncResult,
  type ErrorCode,
  type Recommender,
} from '../../src/index';
import { assertType, type Equal } from './type-assert';


export async function adapterTypeTests(root: object): Promise<void> {
  const r: Recommender = await createRecommender({
    model: '/models/beauty/manifest.json',
    adapters: { url: 'https://cdn.example.com/localshelf/beauty/', root, intervalMs: 3_600_000, jitter: 0.1 },
  });
  assertType<Equal<typeof r.adapter, AdapterInfo | null>>();
  const result = await r.sync({ signal: AbortSignal.timeout(1000) });
  assertType<Equal<typeof result, AdapterSyncResult>>();
  assertType<Equal<AdapterSyncResult['status'], 'updated' | 'current'>>();
  r.addEventListener('adapterchange', (event) => {
    assertType<Equal<typeof event, AdapterChangeEvent>>();
    const version: number = event.adapter.version;
    const source: 'download' | 'peer' = event.source;
    void version;
    void source;
  });
  r.addEventListener('adaptererror', (event) => {
    assertType<Equal<typeof event, AdapterErrorEvent>>();
    const code: ErrorCode = event.code;
    void code;
  });
  // @ts-expect-error the pinned root is required
  await createRecommender({ model: 'm', adapters: { url: 'https://cdn.example.com/c/' } });
  // @ts-expect-error AdapterInfo is read-only
  r.adapter!.version = 3;
  r.dispose();
}
