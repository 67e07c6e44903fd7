/**
 * Verification of an adapter update against the pinned root: timestamp → targets → adapter file, in that order,
 * each step trusting only what the previous one verified (docs/update-channel.md maps every check to the attack
 * it stops). onnxruntime never sees unverified bytes: tensors come back only after every check has passed.
 *
 * Check order within each document is fixed (size, hash, structure, signatures, version, expiry), so a given
 * attack always yields the same error code. Pure: no DOM, no Node APIs beyond `crypto.subtle`.
 */
import { LocalshelfError } from '../../src/errors';
import { sha256Hex } from './bytes';
import { parseAdapter, type AdapterExpectations, type ParsedAdapter } from './format';
import { expiresAt, parseMetadata, type MetaFileRef, type TargetFile, type TargetsSigned, type TimestampSigned } from './metadata';
import { assertRootFresh, type TrustedRoot } from './root';
import { verifyRoleSignatures } from './signatures';

/** The rollback counters a client persists: the highest versions it has accepted. */
export interface TrustedVersions {
  readonly timestamp: number;
  readonly targets: number;
}
/** Counters of a client that has never accepted an update. */
export const INITIAL_VERSIONS: TrustedVersions = Object.freeze({ timestamp: 0, targets: 0 });
/** Largest timestamp file accepted, bytes. */
export const MAX_TIMESTAMP_BYTES = 16 * 1024;
/** Largest targets file accepted, bytes (whatever the timestamp declares). */
export const MAX_TARGETS_BYTES = 1 << 20;
/** Default largest adapter file accepted, bytes. */
export const DEFAULT_MAX_ADAPTER_BYTES = 32 << 20;

/** Everything the checks trust: the root, the stored counters, the clock. */
export interface VerifyContext {
  readonly root: TrustedRoot;
  readonly trusted: TrustedVersions;
  /** Current time, ms since epoch. */
  readonly now: number;
  /**
   * Expiry of the targets metadata already trusted (`SelectedTarget.targetsExpires` of the active adapter). When
   * given, a timestamp that references that same targets version is rejected once it has expired: a compromised
   * timestamp key cannot keep a stale adapter alive past the offline keys' attestation.
   */
  readonly trustedTargetsExpires?: string;
}
/** What the running model requires of an adapter. */
export interface ModelBinding extends AdapterExpectations {
  /** SHA-256 (hex) of the running encoder: `manifest.sha256["encoder.int8.onnx"]`. */
  readonly baseModel: string;
  /** Refuse targets that declare more bytes than this. @defaultValue {@link DEFAULT_MAX_ADAPTER_BYTES} */
  readonly maxAdapterBytes?: number;
}
/** The adapter a targets document selects for the running model. */
export interface SelectedTarget extends TargetFile {
  /** Path relative to the channel base URL. */
  readonly path: string;
  /** Version of the targets metadata that listed it. */
  readonly targetsVersion: number;
  /** Expiry of that targets metadata. */
  readonly targetsExpires: string;
}

/**
 * Verifies `timestamp.json`. Order: size (`ADAPTER_TOO_LARGE`), root expiry (`ADAPTER_EXPIRED`), structure
 * (`ADAPTER_MALFORMED`), signatures (`ADAPTER_SIGNATURE`), versions not below the stored counters
 * (`ADAPTER_ROLLBACK`), expiry (`ADAPTER_EXPIRED`: freeze attack).
 */
export async function verifyTimestamp(bytes: Uint8Array, ctx: VerifyContext): Promise<TimestampSigned> {
  if (bytes.length > MAX_TIMESTAMP_BYTES) throw tooLarge('timestamp', bytes.length, MAX_TIMESTAMP_BYTES);
  assertRootFresh(ctx.root, ctx.now);
  const env = parseMetadata(bytes, 'timestamp');
  await verifyRoleSignatures(env, 'timestamp', ctx.root.signed, ctx.root.keys, `timestamp v${env.signed.version}`);
  const ts = env.signed;
  if (ts.version < ctx.trusted.timestamp) throw rollback('timestamp', ts.version, ctx.trusted.timestamp);
  if (ts.targets.version < ctx.trusted.targets) throw rollback('targets (per timestamp)', ts.targets.version, ctx.trusted.targets);
  assertFresh('timestamp', ts.version, ts.expires, ctx.now);
  return ts;
}

/**
 * Verifies targets metadata against the verified timestamp's reference. Order: length (`ADAPTER_TOO_LARGE` when
 * longer, `ADAPTER_HASH_MISMATCH` when shorter), SHA-256 (`ADAPTER_HASH_MISMATCH`), structure, signatures,
 * version (`ADAPTER_ROLLBACK` below the counter, `ADAPTER_MALFORMED` if not the referenced one), expiry.
 */
export async function verifyTargets(bytes: Uint8Array, ref: MetaFileRef, ctx: VerifyContext): Promise<TargetsSigned> {
  await checkLengthAndHash('targets', bytes, ref.length, ref.sha256);
  const env = parseMetadata(bytes, 'targets');
  await verifyRoleSignatures(env, 'targets', ctx.root.signed, ctx.root.keys, `targets v${env.signed.version}`);
  const t = env.signed;
  if (t.version < ctx.trusted.targets) throw rollback('targets', t.version, ctx.trusted.targets);
  if (t.version !== ref.version) {
    throw new LocalshelfError('ADAPTER_MALFORMED', `targets is v${t.version}, the timestamp references v${ref.version}`);
  }
  assertFresh('targets', t.version, t.expires, ctx.now);
  return t;
}

/**
 * Picks the adapter bound to the running base model (highest `adapterVersion` if several). Throws
 * `ADAPTER_BASE_MISMATCH` when none is (mix-and-match, or no adapter published yet for this model), and
 * `ADAPTER_TOO_LARGE` when the chosen one declares more than `maxAdapterBytes`.
 */
export function selectTarget(targets: TargetsSigned, model: ModelBinding): SelectedTarget {
  let best: SelectedTarget | undefined;
  for (const [path, file] of Object.entries(targets.targets)) {
    if (file.baseModel !== model.baseModel) continue;
    if (!best || file.adapterVersion > best.adapterVersion || (file.adapterVersion === best.adapterVersion && path < best.path)) {
      best = { ...file, path, targetsVersion: targets.version, targetsExpires: targets.expires };
    }
  }
  if (!best) {
    throw new LocalshelfError('ADAPTER_BASE_MISMATCH', `targets v${targets.version} lists no adapter for base model ${model.baseModel.slice(0, 12)}…`);
  }
  const max = model.maxAdapterBytes ?? DEFAULT_MAX_ADAPTER_BYTES;
  if (best.length > max) throw tooLarge(`adapter ${best.path}`, best.length, max);
  return best;
}

/**
 * Verifies adapter bytes against their signed target and the running model, then parses them. Order: length,
 * SHA-256, format (`ADAPTER_MALFORMED`), header base model vs. target and running model
 * (`ADAPTER_BASE_MISMATCH`), header version vs. target (`ADAPTER_MALFORMED`). Also the way to reload an adapter
 * cached on the device: pass the stored {@link SelectedTarget}.
 */
export async function verifyTargetFile(bytes: Uint8Array, target: SelectedTarget, model: ModelBinding): Promise<ParsedAdapter> {
  await checkLengthAndHash(`adapter ${target.path}`, bytes, target.length, target.sha256);
  if (target.baseModel !== model.baseModel) {
    throw new LocalshelfError('ADAPTER_BASE_MISMATCH', `adapter ${target.path} is signed for another base model`);
  }
  const parsed = parseAdapter(bytes, model);
  if (parsed.header.baseModel !== model.baseModel) {
    throw new LocalshelfError('ADAPTER_BASE_MISMATCH', `adapter ${target.path} header names another base model`);
  }
  if (parsed.header.adapterVersion !== target.adapterVersion) {
    throw new LocalshelfError(
      'ADAPTER_MALFORMED',
      `adapter ${target.path} header says version ${parsed.header.adapterVersion}, targets says ${target.adapterVersion}`,
    );
  }
  return parsed;
}

/** Input of {@link verifyUpdate}: the three downloaded files (targets and adapter only needed when new). */
export interface UpdateFiles {
  readonly timestamp: Uint8Array;
  /** Needed unless the timestamp references the targets version already trusted. */
  readonly targets?: Uint8Array;
  /** Needed when `targets` is given. */
  readonly adapter?: Uint8Array;
}
/** Result of {@link verifyUpdate}. Persist `versions` (strict durability) before swapping the adapter in. */
export type UpdateVerdict =
  | { readonly status: 'current'; readonly versions: TrustedVersions; readonly timestamp: TimestampSigned }
  | {
      readonly status: 'updated';
      readonly versions: TrustedVersions;
      readonly timestamp: TimestampSigned;
      readonly target: SelectedTarget;
      readonly adapter: ParsedAdapter;
    };

/**
 * Verifies a whole update in one call. `'current'` means the targets version is the one already trusted (nothing
 * to swap; the timestamp counter may still advance; the trusted targets must still be fresh when
 * `ctx.trustedTargetsExpires` is given). Any failure throws a `LocalshelfError` with the code of the
 * first failed check, and nothing in the caller's state should change.
 */
export async function verifyUpdate(files: UpdateFiles, ctx: VerifyContext, model: ModelBinding): Promise<UpdateVerdict> {
  const timestamp = await verifyTimestamp(files.timestamp, ctx);
  if (timestamp.targets.version === ctx.trusted.targets) {
    if (ctx.trustedTargetsExpires !== undefined) {
      assertFresh('targets', ctx.trusted.targets, ctx.trustedTargetsExpires, ctx.now);
    }
    return { status: 'current', versions: { timestamp: timestamp.version, targets: ctx.trusted.targets }, timestamp };
  }
  if (!files.targets || !files.adapter) {
    throw new LocalshelfError('INVALID_ARGUMENT', `targets v${timestamp.targets.version} is new: pass its targets and adapter files`);
  }
  const targets = await verifyTargets(files.targets, timestamp.targets, ctx);
  const target = selectTarget(targets, model);
  const adapter = await verifyTargetFile(files.adapter, target, model);
  return { status: 'updated', versions: { timestamp: timestamp.version, targets: targets.version }, timestamp, target, adapter };
}

async function checkLengthAndHash(what: string, bytes: Uint8Array, length: number, sha256: string): Promise<void> {
  if (bytes.length > length) throw tooLarge(what, bytes.length, length);
  if (bytes.length !== length) {
    throw new LocalshelfError('ADAPTER_HASH_MISMATCH', `${what}: ${bytes.length} bytes, signed length is ${length}`);
  }
  if ((await sha256Hex(bytes)) !== sha256) throw new LocalshelfError('ADAPTER_HASH_MISMATCH', `${what}: sha256 differs from the signed hash`);
}

/** Throws `ADAPTER_EXPIRED` when `expires` is at or before `now`. */
export function assertFresh(what: string, version: number, expires: string, now: number): void {
  if (now >= expiresAt(expires)) throw new LocalshelfError('ADAPTER_EXPIRED', `${what} v${version} expired at ${expires}`);
}
function rollback(what: string, got: number, trusted: number): LocalshelfError {
  return new LocalshelfError('ADAPTER_ROLLBACK', `${what} v${got} is older than trusted v${trusted}`);
}
function tooLarge(what: string, got: number, max: number): LocalshelfError {
  return new LocalshelfError('ADAPTER_TOO_LARGE', `${what}: ${got} bytes, limit ${max}`);
}
