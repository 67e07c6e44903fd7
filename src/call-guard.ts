/**
 * Makes every call into the worker settle: it resolves, or rejects with `TIMEOUT`, `ABORTED`, `WORKER_DIED`
 * or `DISPOSED`. comlink alone would leave a call into a dead worker pending forever.
 */
import { LocalshelfError } from './errors';

export interface GuardOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called once if the caller aborts, so the worker can stop too. */
  onAbort?: (reason: unknown) => void;
  /** Names the call in error messages. */
  name: string;
}

export class CallGuard {
  #fatal: LocalshelfError | undefined;
  readonly #pending = new Set<(error: LocalshelfError) => void>();

  /** The error every call gets once the worker is gone, if it is. */
  get fatal(): LocalshelfError | undefined {
    return this.#fatal;
  }

  /** Number of calls still pending. */
  get pending(): number {
    return this.#pending.size;
  }

  run<T>(start: () => Promise<T>, options: GuardOptions): Promise<T> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (options.signal?.aborted) return Promise.reject(abortError(options.signal.reason, options.name));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (): void => {
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(fail);
      };
      const fail = (error: LocalshelfError): void => {
        if (settled) return;
        finish();
        reject(error);
      };
      const onAbort = (): void => {
        if (settled) return;
        options.onAbort?.(options.signal?.reason);
        fail(abortError(options.signal?.reason, options.name));
      };
      const timer = setTimeout(
        () => fail(new LocalshelfError('TIMEOUT', `${options.name} did not complete within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      this.#pending.add(fail);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      start().then(
        (value) => {
          if (settled) return;
          finish();
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          finish();
          reject(error);
        },
      );
    });
  }

  /** Rejects every pending call and every later one with `error`. The first fatal error wins. */
  kill(error: LocalshelfError): void {
    this.#fatal ??= error;
    for (const fail of [...this.#pending]) fail(this.#fatal);
  }
}

function abortError(reason: unknown, name: string): LocalshelfError {
  return new LocalshelfError('ABORTED', `${name} was aborted`, { cause: reason });
}
