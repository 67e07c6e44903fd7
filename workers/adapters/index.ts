/**
 * The adapter update channel, client side: verify, download, schedule, and the `.lsad` file format.
 * Pure modules (no DOM): they run in the engine worker and in Node. See docs/update-channel.md.
 */
export { canonicalize, canonicalBytes, CanonicalJsonError, type CanonicalValue } from './canonical-json';
export {
  ADAPTER_FORMAT_VERSION, ADAPTER_FORMAT_VERSION_ITEMS, ADAPTER_MAGIC, ITEM_BIAS, MALFORMED_REASONS, encodeAdapter, parseAdapter, shapesFor,
  type AdapterExpectations, type AdapterHeader, type AdapterTensor, type EncodeAdapterInput, type LoraSpec,
  type LoraTarget, type MalformedReason, type ParsedAdapter, type TensorDtype, type TensorEntry,
} from './format';
export {
  KEY_TYPES, ROLES, parseMetadata, type KeyType, type MetaFileRef, type Role, type RootSigned, type TargetFile,
  type TargetsSigned, type TimestampSigned,
} from './metadata';
export { assertRootFresh, loadTrustedRoot, rotateRoot, type RootRotation, type TrustedRoot } from './root';
export {
  DEFAULT_MAX_ADAPTER_BYTES, INITIAL_VERSIONS, selectTarget, verifyTargetFile, verifyTargets, verifyTimestamp,
  verifyUpdate, type ModelBinding, type SelectedTarget, type TrustedVersions, type UpdateFiles, type UpdateVerdict,
  type VerifyContext,
} from './verify';
export { downloadBytes, type DownloadOptions, type DownloadResult, type FetchLike } from './download';
export { createSyncSchedule, type ScheduleClock, type SyncSchedule, type SyncScheduleOptions } from './sync-schedule';
export {
  checkForUpdate, fetchActiveAdapter, initialChannelState, loadStateRoot, type ChannelConfig, type ChannelState, type CheckResult,
} from './update';
