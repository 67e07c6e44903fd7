/**
 * localshelf: private, on-device product recommendations. Nothing runs at import; everything starts in
 * {@link createRecommender}.
 * @packageDocumentation
 */
export { createRecommender, Recommender, type CallOptions, type HistoryApi } from './client';
export { LocalshelfError, isLocalshelfError, ERROR_CODES, type ErrorCode } from './errors';
export {
  EVENT_TYPES,
  ITEM_EVENT_TYPES,
  type EventType,
  type ItemEventType,
  type TrackEvent,
  type ItemEvent,
  type ImpressionEvent,
  type SearchEvent,
  type StoredEvent,
} from './events';
export { BACKENDS, type BackendPreference, type RecommenderOptions } from './options';
export type { Progress } from './progress';
export type { BackendInfo, CatalogItem, ReadyInfo, Recommendation, RecommendRequest, RecommendResult } from './protocol';
