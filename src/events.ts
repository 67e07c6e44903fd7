/**
 * Shopper events: the public shape of `track()` input, the stored record, and validation.
 * One `as const` list drives both the types and the runtime checks.
 */
import { LocalshelfError } from './errors';

/** Event types that name one catalog item and feed the recommender, in increasing strength of intent. */
export const ITEM_EVENT_TYPES = ['view', 'click', 'add_to_cart', 'purchase'] as const;
/** Every event type `track()` accepts. */
export const EVENT_TYPES = [...ITEM_EVENT_TYPES, 'impression', 'search'] as const;

export type ItemEventType = (typeof ITEM_EVENT_TYPES)[number];
export type EventType = (typeof EVENT_TYPES)[number];

/** The shopper looked at, clicked, carted or bought one item. */
export interface ItemEvent {
  type: ItemEventType;
  /** Catalog item id (the id in `catalog.json`, never a model index). */
  itemId: string;
  /** Milliseconds since the epoch. @defaultValue `Date.now()` when tracked */
  timestamp?: number;
  /** The `recommendationId` of the shelf the item was picked from, for `recommender.metrics()`. */
  recommendationId?: string;
}
/** Items were shown to the shopper (stored for the record; not fed to the encoder). */
export interface ImpressionEvent {
  type: 'impression';
  itemIds: string[];
  timestamp?: number;
  /** The `recommendationId` of the shelf shown, for `recommender.metrics()`. */
  recommendationId?: string;
}
/** The shopper searched (stored on the device only). */
export interface SearchEvent {
  type: 'search';
  query: string;
  timestamp?: number;
}
/** What `track()` accepts. */
export type TrackEvent = ItemEvent | ImpressionEvent | SearchEvent;

/** An event as stored in IndexedDB: validated, with `timestamp` always set and a sequence number. */
export type StoredEvent = TrackEvent & { timestamp: number; seq?: number };

/** Largest accepted id, query and impression list, so one bad call cannot fill the store. */
export const LIMITS = { idLength: 256, queryLength: 512, impressionItems: 200 } as const;

const ITEM_TYPES: ReadonlySet<string> = new Set(ITEM_EVENT_TYPES);
const ALL_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

function bad(message: string): LocalshelfError {
  return new LocalshelfError('INVALID_EVENT', message);
}

function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > LIMITS.idLength) {
    throw bad(`${field} must be a non-empty string of at most ${LIMITS.idLength} characters`);
  }
  return value;
}

/**
 * Validates one event and returns a normalized copy (unknown fields dropped, timestamp filled in).
 * @throws LocalshelfError with code `INVALID_EVENT`
 */
export function validateEvent(input: unknown, now: number = Date.now()): StoredEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad('event must be an object');
  const e = input as Record<string, unknown>;
  if (typeof e.type !== 'string' || !ALL_TYPES.has(e.type)) {
    throw bad(`event.type must be one of ${EVENT_TYPES.join(', ')}; got ${JSON.stringify(e.type)}`);
  }
  let timestamp = now;
  if (e.timestamp !== undefined) {
    if (typeof e.timestamp !== 'number' || !Number.isFinite(e.timestamp) || e.timestamp < 0) {
      throw bad('event.timestamp must be a finite, non-negative number of milliseconds');
    }
    timestamp = e.timestamp;
  }
  const rid = e.recommendationId === undefined ? {} : { recommendationId: checkId(e.recommendationId, 'event.recommendationId') };
  if (ITEM_TYPES.has(e.type)) {
    return { type: e.type as ItemEventType, itemId: checkId(e.itemId, 'event.itemId'), timestamp, ...rid };
  }
  if (e.type === 'impression') {
    if (!Array.isArray(e.itemIds) || e.itemIds.length === 0 || e.itemIds.length > LIMITS.impressionItems) {
      throw bad(`impression.itemIds must be a non-empty array of at most ${LIMITS.impressionItems} ids`);
    }
    return { type: 'impression', itemIds: e.itemIds.map((id, i) => checkId(id, `impression.itemIds[${i}]`)), timestamp, ...rid };
  }
  if (typeof e.query !== 'string' || e.query.length > LIMITS.queryLength) {
    throw bad(`search.query must be a string of at most ${LIMITS.queryLength} characters`);
  }
  return { type: 'search', query: e.query, timestamp };
}

/** True for the events that name one item and feed the encoder. */
export function isItemEvent(e: TrackEvent): e is ItemEvent {
  return ITEM_TYPES.has(e.type);
}
