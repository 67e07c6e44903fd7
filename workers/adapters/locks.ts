/**
 * Exclusive locks for the adapter channel: the Web Locks API where it exists (browsers, workers: one lock across
 * every tab of the origin), an in-process FIFO mutex otherwise (Node, tests), so the host code has one path.
 */
import { LocalshelfError } from '../../src/errors';

/** The subset of `LockManager` the host uses. */
export interface LockManagerLike {
  request<T>(name: string, options: { signal?: AbortSignal }, callback: () => Promise<T>): Promise<T>;
}

const tails = new Map<string, Promise<unknown>>();

/** An in-process mutex per name with the `LockManager.request` shape (exclusive mode only). */
export const processLocks: LockManagerLike = {
  request<T>(name: string, options: { signal?: AbortSignal }, callback: () => Promise<T>): Promise<T> {
    const previous = tails.get(name) ?? Promise.resolve();
    const run = previous.then(() => {
      if (options.signal?.aborted) throw abortError(options.signal.reason);
      return callback();
    });
    const tail = run.catch(() => undefined);
    tails.set(name, tail);
    void tail.then(() => {
      if (tails.get(name) === tail) tails.delete(name);
    });
    return run;
  },
};

/** `navigator.locks` when the runtime has it, else {@link processLocks}. */
export function defaultLocks(): LockManagerLike {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (!locks) return processLocks;
  return {
    request: <T>(name: string, options: { signal?: AbortSignal }, callback: () => Promise<T>) =>
      locks.request(name, { mode: 'exclusive', ...(options.signal ? { signal: options.signal } : {}) }, callback).catch((error: unknown) => {
        // A lock request aborted while waiting rejects with the signal's reason or an AbortError.
        if (options.signal?.aborted) throw abortError(options.signal.reason);
        throw error;
      }) as Promise<T>,
  };
}

function abortError(reason: unknown): LocalshelfError {
  return new LocalshelfError('ABORTED', 'adapter check aborted while waiting for the channel lock', { cause: reason });
}
