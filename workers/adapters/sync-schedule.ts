/**
 * When to check the update channel: a jittered interval, exponential backoff with a cap after failures,
 * pause/resume (page hidden), and `syncNow()`. Pure timer logic: the clock and the random source are injectable,
 * so tests drive it without waiting. One sync runs at a time.
 */
import { LocalshelfError } from '../../src/errors';

/** Timer functions the schedule uses. @defaultValue `globalThis` timers and `Date.now` */
export interface ScheduleClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link createSyncSchedule}. */
export interface SyncScheduleOptions {
  /** The work: check for and apply an update. Must honour `signal` (fires on dispose). */
  readonly sync: (signal: AbortSignal) => Promise<unknown>;
  /** Time between successful syncs. @defaultValue `6 * 3600_000` (6 h) */
  readonly intervalMs?: number;
  /** Relative jitter: each interval is scaled by a uniform factor in `[1 - jitter, 1 + jitter]`. @defaultValue `0.2` */
  readonly jitter?: number;
  /** First retry delay after a failure; doubles with each consecutive failure. @defaultValue `30_000` */
  readonly backoffBaseMs?: number;
  /** Longest retry delay. @defaultValue `intervalMs` */
  readonly backoffMaxMs?: number;
  /** Delay before the first sync. @defaultValue `10_000` */
  readonly initialDelayMs?: number;
  /** Start paused (e.g. the page is hidden at start-up). @defaultValue `false` */
  readonly paused?: boolean;
  /** Called with each failure (after which a backoff is scheduled). */
  readonly onError?: (error: unknown, consecutiveFailures: number) => void;
  readonly clock?: ScheduleClock;
  /** Uniform random in `[0, 1)`. @defaultValue `Math.random` */
  readonly random?: () => number;
}

/** A running schedule. */
export interface SyncSchedule {
  /** Runs a sync now (or joins the one in flight) and reschedules after it. Rejects with its error. */
  syncNow(): Promise<void>;
  /** Stops scheduling (a sync in flight finishes). Idempotent. */
  pause(): void;
  /** Resumes; a sync that fell due while paused runs at once. Idempotent. */
  resume(): void;
  /** Stops for good, aborting a sync in flight. Idempotent; `syncNow` rejects with `DISPOSED` afterwards. */
  dispose(): void;
  /** When the next sync is due (ms, clock time), `null` while paused, disposed or syncing. */
  readonly nextRunAt: number | null;
  /** Failures since the last success. */
  readonly consecutiveFailures: number;
  readonly state: 'idle' | 'syncing' | 'paused' | 'disposed';
}

/** Largest delay `setTimeout` takes without overflowing (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const systemClock: ScheduleClock = {
  now: () => Date.now(),
  setTimeout: (cb, ms) => globalThis.setTimeout(cb, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Starts a schedule. The first sync runs after `initialDelayMs` unless created paused. */
export function createSyncSchedule(options: SyncScheduleOptions): SyncSchedule {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const intervalMs = options.intervalMs ?? 6 * 3600_000;
  const jitter = Math.min(Math.max(options.jitter ?? 0.2, 0), 1);
  const backoffBaseMs = options.backoffBaseMs ?? 30_000;
  const backoffMaxMs = options.backoffMaxMs ?? intervalMs;
  let paused = options.paused ?? false;
  let disposed = false;
  let failures = 0;
  let dueAt = clock.now() + (options.initialDelayMs ?? 10_000);
  let timer: unknown = null;
  let inFlight: Promise<void> | null = null;
  const controller = new AbortController();

  const arm = (): void => {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
    if (paused || disposed || inFlight) return;
    const delay = Math.min(Math.max(dueAt - clock.now(), 0), MAX_TIMER_MS);
    timer = clock.setTimeout(() => {
      timer = null;
      if (clock.now() < dueAt) arm(); // a delay longer than MAX_TIMER_MS: wait again
      else void run().catch(() => undefined);
    }, delay);
  };

  const nextDelay = (): number => {
    if (failures === 0) return intervalMs * (1 + jitter * (2 * random() - 1));
    const exp = Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.min(failures - 1, 52));
    return exp * (1 - jitter * random());
  };

  const run = (): Promise<void> => {
    if (inFlight) return inFlight;
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
    inFlight = (async () => {
      try {
        await options.sync(controller.signal);
        failures = 0;
      } catch (error) {
        failures += 1;
        if (!disposed) options.onError?.(error, failures);
        throw error;
      } finally {
        inFlight = null;
        dueAt = clock.now() + nextDelay();
        arm();
      }
    })();
    return inFlight;
  };

  arm();
  return {
    syncNow: () => (disposed ? Promise.reject(disposedError()) : run()),
    pause() {
      if (disposed || paused) return;
      paused = true;
      arm();
    },
    resume() {
      if (disposed || !paused) return;
      paused = false;
      arm();
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      controller.abort(disposedError());
    },
    get nextRunAt() {
      return paused || disposed || inFlight ? null : dueAt;
    },
    get consecutiveFailures() {
      return failures;
    },
    get state() {
      return disposed ? 'disposed' : inFlight ? 'syncing' : paused ? 'paused' : 'idle';
    },
  };
}

function disposedError(): LocalshelfError {
  return new LocalshelfError('DISPOSED', 'sync schedule disposed');
}
