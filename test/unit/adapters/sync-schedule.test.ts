/** `createSyncSchedule` on a fake clock: interval with jitter, capped exponential backoff, pause/resume, syncNow. */
import { describe, expect, it } from 'vitest';
import { isLocalshelfError } from '../../../src/errors';
import { createSyncSchedule, type ScheduleClock, type SyncScheduleOptions } from '../../../workers/adapters/sync-schedule';

class FakeClock implements ScheduleClock {
  t = 0;
  private timers = new Map<number, { at: number; cb: () => void }>();
  private next = 1;
  now = (): number => this.t;
  setTimeout = (cb: () => void, ms: number): number => {
    this.timers.set(this.next, { at: this.t + ms, cb });
    return this.next++;
  };
  clearTimeout = (h: unknown): void => void this.timers.delete(h as number);
  get pending(): number {
    return this.timers.size;
  }
  /** Moves time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].cb();
      await flush();
    }
    this.t = end;
    await flush();
  }
}
const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function setup(overrides: Partial<SyncScheduleOptions> = {}, outcomes: (() => Promise<void>)[] = []) {
  const clock = new FakeClock();
  const runs: number[] = [];
  const signals: AbortSignal[] = [];
  const errors: number[] = [];
  const schedule = createSyncSchedule({
    clock, random: () => 0.5, intervalMs: 1000, jitter: 0.2, backoffBaseMs: 10, backoffMaxMs: 100, initialDelayMs: 5,
    onError: (_e, n) => errors.push(n),
    sync: (signal) => {
      runs.push(clock.t);
      signals.push(signal);
      return (outcomes.shift() ?? (() => Promise.resolve()))();
    },
    ...overrides,
  });
  return { clock, runs, signals, errors, schedule };
}
const fail = () => Promise.reject(new Error('offline'));

describe('sync schedule', () => {
  it('runs after the initial delay, then every interval scaled by jitter', async () => {
    const values = [0, 0.999999];
    const { clock, runs, schedule } = setup({ random: () => values.shift() ?? 0.5 });
    await clock.advance(4);
    expect(runs).toEqual([]);
    await clock.advance(1);
    expect(runs).toEqual([5]);
    expect(schedule.nextRunAt).toBe(5 + 800); // random 0 → 1 - jitter
    await clock.advance(800);
    expect(schedule.nextRunAt).toBeCloseTo(805 + 1200, 0); // random ≈ 1 → 1 + jitter
    await clock.advance(1200);
    expect(runs).toHaveLength(3);
  });

  it('backs off exponentially with a cap after failures, and resets after a success', async () => {
    const outcomes = [fail, fail, fail, fail, fail, fail, () => Promise.resolve()];
    const { clock, runs, errors, schedule } = setup({ random: () => 0 }, outcomes);
    await clock.advance(5);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      delays.push(schedule.nextRunAt! - clock.t);
      await clock.advance(schedule.nextRunAt! - clock.t);
    }
    expect(delays).toEqual([10, 20, 40, 80, 100, 100]);
    expect(errors).toEqual([1, 2, 3, 4, 5, 6]);
    expect(schedule.consecutiveFailures).toBe(0);
    expect(schedule.nextRunAt! - clock.t).toBe(1000 * 0.8);
    expect(runs).toHaveLength(7);
  });

  it('does not run while paused; resume runs at once when the sync fell due meanwhile', async () => {
    const { clock, runs, schedule } = setup();
    schedule.pause();
    expect(schedule.state).toBe('paused');
    expect(schedule.nextRunAt).toBeNull();
    await clock.advance(10_000);
    expect(runs).toEqual([]);
    schedule.resume();
    await clock.advance(0);
    expect(runs).toEqual([10_000]);
  });

  it('resume before the due time keeps the original schedule', async () => {
    const { clock, runs, schedule } = setup({ initialDelayMs: 100 });
    schedule.pause();
    await clock.advance(50);
    schedule.resume();
    await clock.advance(49);
    expect(runs).toEqual([]);
    await clock.advance(1);
    expect(runs).toEqual([100]);
  });

  it('syncNow runs immediately, joins a sync in flight, rejects with its error and reschedules', async () => {
    let release!: () => void;
    const slow = () => new Promise<void>((r) => (release = r));
    const { clock, runs, schedule } = setup({ initialDelayMs: 1000 }, [slow, fail]);
    const a = schedule.syncNow();
    const b = schedule.syncNow();
    expect(schedule.state).toBe('syncing');
    await clock.advance(5000); // no timer fires a second, concurrent sync
    expect(runs).toEqual([0]);
    release();
    await Promise.all([a, b]);
    expect(schedule.nextRunAt).toBe(5000 + 1000);
    await expect(schedule.syncNow()).rejects.toThrow('offline');
    expect(schedule.nextRunAt).toBe(5000 + 10 * 0.9); // backoff base, jittered down by random 0.5 × 0.2
  });

  it('dispose aborts the sync in flight, clears timers, and makes syncNow reject with DISPOSED', async () => {
    const { clock, signals, schedule } = setup({}, [() => new Promise<void>(() => undefined)]);
    await clock.advance(5);
    schedule.dispose();
    schedule.dispose();
    expect(signals[0]!.aborted).toBe(true);
    expect(schedule.state).toBe('disposed');
    expect(clock.pending).toBe(0);
    const err = await schedule.syncNow().catch((e: unknown) => e);
    expect(isLocalshelfError(err, 'DISPOSED')).toBe(true);
  });

  it('splits delays longer than setTimeout can hold', async () => {
    const { clock, runs } = setup({ initialDelayMs: 2 ** 32 });
    await clock.advance(2 ** 31);
    expect(runs).toEqual([]);
    await clock.advance(2 ** 31);
    expect(runs).toEqual([2 ** 32]);
  });
});
