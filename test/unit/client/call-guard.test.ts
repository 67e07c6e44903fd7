import { describe, expect, it } from 'vitest';
import { CallGuard } from '../../../src/call-guard';
import { LocalshelfError } from '../../../src/errors';

const never = (): Promise<never> => new Promise(() => undefined);

describe('CallGuard', () => {
  it('passes results and errors through', async () => {
    const guard = new CallGuard();
    await expect(guard.run(async () => 3, { name: 'x', timeoutMs: 1000 })).resolves.toBe(3);
    await expect(guard.run(async () => Promise.reject(new Error('boom')), { name: 'x', timeoutMs: 1000 })).rejects.toThrow('boom');
    expect(guard.pending).toBe(0);
  });

  it('times out', async () => {
    const guard = new CallGuard();
    await expect(guard.run(never, { name: 'slow()', timeoutMs: 10 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(guard.pending).toBe(0);
  });

  it('rejects at once for an aborted signal and calls onAbort for a later abort', async () => {
    const guard = new CallGuard();
    await expect(guard.run(never, { name: 'x', timeoutMs: 1000, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    const controller = new AbortController();
    const reasons: unknown[] = [];
    const call = guard.run(never, { name: 'x', timeoutMs: 1000, signal: controller.signal, onAbort: (r) => reasons.push(r) });
    controller.abort('why');
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    expect(reasons).toEqual(['why']);
  });

  it('kill() rejects every pending and later call with the first fatal error', async () => {
    const guard = new CallGuard();
    const calls = [guard.run(never, { name: 'a', timeoutMs: 1000 }), guard.run(never, { name: 'b', timeoutMs: 1000 })];
    expect(guard.pending).toBe(2);
    guard.kill(new LocalshelfError('WORKER_DIED', 'gone'));
    guard.kill(new LocalshelfError('DISPOSED', 'later'));
    for (const c of calls) await expect(c).rejects.toMatchObject({ code: 'WORKER_DIED' });
    await expect(guard.run(async () => 1, { name: 'c', timeoutMs: 1000 })).rejects.toMatchObject({ code: 'WORKER_DIED' });
  });
});
