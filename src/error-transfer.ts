/**
 * Teaches comlink to carry `LocalshelfError` (class, code, cause chain) across the worker boundary.
 * comlink's own handler keeps only name, message and stack. Installed by `createRecommender()` and by the
 * worker entry, never at import; installing twice is harmless.
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { fromWireError, toWireError, type WireError } from './errors';

const INSTALLED = Symbol.for('localshelf.errorTransfer');

interface Thrown {
  value: unknown;
}

export function installErrorTransfer(): void {
  const original = transferHandlers.get('throw') as (TransferHandler<unknown, unknown> & { [INSTALLED]?: true }) | undefined;
  if (!original || original[INSTALLED]) return;
  const handler: TransferHandler<Thrown, WireError> & { [INSTALLED]: true } = {
    [INSTALLED]: true,
    canHandle: (value): value is Thrown => original.canHandle(value),
    serialize: (thrown) => [toWireError(thrown.value), []],
    deserialize: (wire) => {
      throw fromWireError(wire);
    },
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
}
