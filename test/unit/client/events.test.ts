import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, validateEvent } from '../../../src/events';
import { isLocalshelfError } from '../../../src/errors';

const code = (f: () => unknown): string => {
  try {
    f();
    return 'accepted';
  } catch (e) {
    return isLocalshelfError(e) ? e.code : 'untyped';
  }
};

describe('validateEvent', () => {
  it('accepts every event type and normalizes it', () => {
    expect(validateEvent({ type: 'view', itemId: 'A1', extra: 'dropped' }, 42)).toEqual({ type: 'view', itemId: 'A1', timestamp: 42 });
    expect(validateEvent({ type: 'impression', itemIds: ['a', 'b'], timestamp: 7 })).toEqual({ type: 'impression', itemIds: ['a', 'b'], timestamp: 7 });
    expect(validateEvent({ type: 'search', query: 'red lipstick' }, 1)).toEqual({ type: 'search', query: 'red lipstick', timestamp: 1 });
    expect(EVENT_TYPES).toEqual(['view', 'click', 'add_to_cart', 'purchase', 'impression', 'search']);
  });

  it.each([
    ['not an object', 'view'],
    ['null', null],
    ['array', [{ type: 'view', itemId: 'a' }]],
    ['unknown type', { type: 'like', itemId: 'a' }],
    ['missing itemId', { type: 'purchase' }],
    ['empty itemId', { type: 'click', itemId: '' }],
    ['numeric itemId', { type: 'click', itemId: 5 }],
    ['huge itemId', { type: 'click', itemId: 'x'.repeat(257) }],
    ['NaN timestamp', { type: 'view', itemId: 'a', timestamp: Number.NaN }],
    ['negative timestamp', { type: 'view', itemId: 'a', timestamp: -1 }],
    ['string timestamp', { type: 'view', itemId: 'a', timestamp: '2024' }],
    ['empty impression', { type: 'impression', itemIds: [] }],
    ['impression with a bad id', { type: 'impression', itemIds: ['a', 3] }],
    ['search without query', { type: 'search' }],
    ['huge query', { type: 'search', query: 'q'.repeat(513) }],
  ])('refuses %s with INVALID_EVENT', (_, event) => {
    expect(code(() => validateEvent(event))).toBe('INVALID_EVENT');
  });
});
