/**
 * Heap figures of the browser's dedicated workers through its CDP session (workers have no `performance.memory`):
 * the long-session test's flat-heap check and the catalog-scale bench's worker memory.
 */
import type { Browser } from '@playwright/test';

/** `Runtime.getHeapUsage`: the JS heap, and (Chromium 13x+) the ArrayBuffer backing stores and embedder heap. */
export interface HeapUsage {
  usedSize: number;
  totalSize: number;
  backingStorageSize?: number;
  embedderHeapUsedSize?: number;
}

/**
 * The used JS heap of every dedicated worker of the browser (ids → bytes), after a forced GC, through the
 * browser's CDP session (workers have no `performance.memory`).
 */
export async function workerHeaps(browser: Browser): Promise<Map<string, number>> {
  return new Map([...(await workerHeapUsage(browser))].map(([id, u]) => [id, u.usedSize]));
}

const GONE = Symbol('gone');
const ASK_TIMEOUT_MS = 10_000;

/** `Runtime.getHeapUsage` of every dedicated worker (ids → usage), after a forced GC. */
export async function workerHeapUsage(browser: Browser): Promise<Map<string, HeapUsage>> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: { targetId: string; type: string; url: string }[] };
    const out = new Map<string, HeapUsage>();
    let next = 1;
    const replies = new Map<number, (v: unknown) => void>();
    cdp.on('Target.receivedMessageFromTarget', (e: { message: string }) => {
      const m = JSON.parse(e.message) as { id?: number; result?: unknown };
      if (m.id !== undefined) replies.get(m.id)?.(m.result);
    });
    for (const t of targetInfos.filter((x) => x.type === 'worker')) {
      let sessionId: string;
      try {
        ({ sessionId } = (await cdp.send('Target.attachToTarget', { targetId: t.targetId, flatten: false })) as { sessionId: string });
      } catch (error) {
        // A worker that ended between the listing and the attach (dispose() terminating it) is not a live worker.
        if (/No target with given id/.test(String(error))) continue;
        throw error;
      }
      // A worker being terminated can still be listed, and attached to, but never answers: after ASK_TIMEOUT_MS
      // without a reply it counts as ended (a live one answers a forced GC of a 600 MB heap in a second or two).
      const ask = (method: string) =>
        new Promise<unknown>((resolve) => {
          const id = next++;
          const timer = setTimeout(() => resolve(GONE), ASK_TIMEOUT_MS);
          replies.set(id, (v) => {
            clearTimeout(timer);
            resolve(v);
          });
          void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) }).catch(() => resolve(GONE));
        });
      const usage = (await ask('HeapProfiler.collectGarbage')) === GONE ? GONE : await ask('Runtime.getHeapUsage');
      await cdp.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
      if (usage !== GONE) out.set(t.targetId, usage as HeapUsage);
    }
    return out;
  } finally {
    await cdp.detach();
  }
}
