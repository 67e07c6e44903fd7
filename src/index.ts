/**
 * localshelf: private, on-device product recommendations. Nothing runs at import; everything starts in
 * {@link createRecommender}.
 * @packageDocumentation
 */
export { createRecommender, Recommender, type CallOptions, type CatalogApi, type CreateRecommenderOptions, type HistoryApi } from './client';
export {
  MAX_QUERY_LENGTH,
  TEXT_DTYPES,
  type AddItemsResult,
  type NewItem,
  type SearchHit,
  type SearchOptions,
  type SearchReasons,
  type SearchRequest,
  type SearchResult,
  type TextDtype,
} from './search';
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
export { BACKENDS, RUNTIMES, type AdapterOptions, type BackendPreference, type RecommenderOptions, type RuntimePreference } from './options';
export {
  AdapterChangeEvent,
  AdapterErrorEvent,
  type AdapterInfo,
  type AdapterSource,
  type AdapterSyncResult,
  type RecommenderEventMap,
} from './adapters';
export type { Progress } from './progress';
export { BackendChangeEvent, StorageChangeEvent } from './engine-events';
export { STORAGE_PREFERENCES, type StorageInfo, type StorageKind, type StoragePreference } from './storage';
export type { AttributeValue, BackendInfo, CatalogItem, Condition, MetricsResult, OmitPolicy, Rules, SlotMetrics, ReadyInfo, Reason, Recommendation, RecommendRequest, RecommendResult, RelatedMode, RelatedRequest, RelatedResult, SearchInfo } from './protocol';
