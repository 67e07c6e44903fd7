/**
 * Build the history encoder's inputs (see docs/artifacts.md, `encoder.*.onnx`): the last `maxLen` events of a
 * history, left-padded, as dequantized item vectors `item_vectors` float32 `[B, L, D]` and `event_types` int64
 * `[B, L]` (0 = padding). Returns plain typed arrays plus shapes; the caller wraps them in its runtime's tensors.
 *
 * Pure compute: no DOM, no worker APIs; runs in Node and in a worker.
 */
import { LocalshelfError, describeValue } from '../../src/errors';
import { dequantizeRow, type ItemMatrix } from './item-matrix';

/** Encoder input names, as in the ONNX graph. */
export const ENCODER_INPUTS = { itemVectors: 'item_vectors', eventTypes: 'event_types' } as const;
/** Encoder output name, as in the ONNX graph. */
export const ENCODER_OUTPUT = 'user_vector';

/** Event type ids as the graph sees them: 1 = view, 2 = click, 3 = add_to_cart, 4 = purchase (0 = padding). */
export type EventTypeId = 1 | 2 | 3 | 4;

/** One event of a shopper's history: the item's row in the item matrix and what the shopper did. */
export interface HistoryEvent {
  readonly row: number;
  readonly type: EventTypeId;
}

/** Encoder feeds for a batch of `batch` histories. */
export interface EncoderInput {
  /** Dequantized item vectors, `[batch, maxLen, dim]`, zero rows for padding. */
  readonly itemVectors: Float32Array;
  /** Event type ids, `[batch, maxLen]`, 0 for padding. */
  readonly eventTypes: BigInt64Array;
  /** Shape of `itemVectors`: `[batch, maxLen, dim]`. */
  readonly itemVectorsDims: readonly [number, number, number];
  /** Shape of `eventTypes`: `[batch, maxLen]`. */
  readonly eventTypesDims: readonly [number, number];
}

/** Reusable output buffers; pass the same object to every call of one shape to avoid allocation. */
export interface EncoderInputBuffers {
  itemVectors: Float32Array;
  eventTypes: BigInt64Array;
}

const TYPE_BIGINTS = [0n, 1n, 2n, 3n, 4n] as const;

/**
 * Build the feeds for one history (batch of 1). Events are most recent last; only the last `maxLen` are used.
 *
 * @throws LocalshelfError `INVALID_ARGUMENT` for an unknown row, an event type outside 1..4 or a bad `maxLen`.
 */
export function buildEncoderInput(
  matrix: ItemMatrix,
  history: readonly HistoryEvent[],
  maxLen: number,
  buffers?: EncoderInputBuffers,
): EncoderInput {
  return buildEncoderBatch(matrix, [history], maxLen, buffers);
}

/**
 * Build the feeds for a batch of histories (evaluation, or several users at once). Row `b` of the batch is
 * `histories[b]`, truncated to its last `maxLen` events and left-padded with zeros.
 *
 * @param buffers - optional reusable buffers of at least `B*L*D` / `B*L` elements; the returned arrays are
 *   views of exactly the batch's size over them.
 * @throws LocalshelfError `INVALID_ARGUMENT` for an unknown row, an event type outside 1..4 or a bad `maxLen`.
 */
export function buildEncoderBatch(
  matrix: ItemMatrix,
  histories: readonly (readonly HistoryEvent[])[],
  maxLen: number,
  buffers?: EncoderInputBuffers,
): EncoderInput {
  if (!Number.isInteger(maxLen) || maxLen <= 0) {
    throw new LocalshelfError('INVALID_ARGUMENT', `maxLen must be a positive integer, got ${maxLen}`);
  }
  const dim = matrix.dim;
  const batch = histories.length;
  const { itemVectors, eventTypes } = sizedBuffers(batch * maxLen * dim, batch * maxLen, buffers);
  itemVectors.fill(0);
  eventTypes.fill(0n);
  for (let b = 0; b < batch; b++) {
    const history = histories[b]!;
    const n = Math.min(history.length, maxLen);
    const start = history.length - n;
    const pad = maxLen - n;
    for (let k = 0; k < n; k++) {
      const event = history[start + k]!;
      const type = event.type;
      if (type !== 1 && type !== 2 && type !== 3 && type !== 4) {
        throw new LocalshelfError('INVALID_ARGUMENT', `event type ${describeValue(type)} is not one of 1, 2, 3, 4`);
      }
      const pos = b * maxLen + pad + k;
      dequantizeRow(matrix, event.row, itemVectors, pos * dim);
      eventTypes[pos] = TYPE_BIGINTS[type];
    }
  }
  return {
    itemVectors,
    eventTypes,
    itemVectorsDims: [batch, maxLen, dim],
    eventTypesDims: [batch, maxLen],
  };
}

/**
 * Allocate reusable buffers for batches of up to `batch` histories.
 */
export function createEncoderInputBuffers(batch: number, maxLen: number, dim: number): EncoderInputBuffers {
  return { itemVectors: new Float32Array(batch * maxLen * dim), eventTypes: new BigInt64Array(batch * maxLen) };
}

function sizedBuffers(
  vectorCount: number,
  typeCount: number,
  buffers: EncoderInputBuffers | undefined,
): EncoderInputBuffers {
  if (!buffers) return { itemVectors: new Float32Array(vectorCount), eventTypes: new BigInt64Array(typeCount) };
  if (buffers.itemVectors.length < vectorCount || buffers.eventTypes.length < typeCount) {
    throw new LocalshelfError(
      'INVALID_ARGUMENT',
      `encoder input buffers hold ${buffers.itemVectors.length}/${buffers.eventTypes.length} values, ` +
        `need ${vectorCount}/${typeCount}`,
    );
  }
  return {
    itemVectors:
      buffers.itemVectors.length === vectorCount ? buffers.itemVectors : buffers.itemVectors.subarray(0, vectorCount),
    eventTypes:
      buffers.eventTypes.length === typeCount ? buffers.eventTypes : buffers.eventTypes.subarray(0, typeCount),
  };
}
