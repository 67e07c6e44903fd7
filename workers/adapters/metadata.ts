/**
 * Update-channel metadata: the signed JSON documents (root, targets, timestamp) and their strict parsers.
 * Shapes and rules are documented in docs/update-channel.md. Parsing checks structure only; signatures,
 * versions, expiry and hashes are checked in `verify.ts`.
 *
 * Pure: no DOM, no Node APIs.
 */
import { LocalshelfError, describeValue } from '../../src/errors';
import { canonicalBytes } from './canonical-json';
import { decodeUtf8Strict, isSha256Hex } from './bytes';

/** Metadata spec major version this code understands. */
export const METADATA_SPEC = 1;
/** Signature schemes a key may use. Ed25519 everywhere it exists; ECDSA P-256 (SHA-256) as the fallback. */
export const KEY_TYPES = ['ed25519', 'ecdsa-p256'] as const;
/** A key's signature scheme. */
export type KeyType = (typeof KEY_TYPES)[number];
/** Roles the root delegates to. */
export const ROLES = ['root', 'targets', 'timestamp'] as const;
/** One top-level role. */
export type Role = (typeof ROLES)[number];

/** A public key as root metadata lists it; its keyid is the SHA-256 (hex) of the raw public key bytes. */
export interface PublicKeyEntry {
  readonly keytype: KeyType;
  /** Lowercase hex of the raw public key (32 bytes Ed25519, 65 bytes uncompressed P-256). */
  readonly public: string;
}
/** Which keys may sign a role's metadata and how many distinct ones must. */
export interface RoleSpec {
  readonly keyids: readonly string[];
  readonly threshold: number;
}
/** Fields every signed document carries. */
interface CommonSigned {
  readonly spec: number;
  /** Monotonic counter: a client never accepts a lower one. */
  readonly version: number;
  /** `YYYY-MM-DDTHH:MM:SSZ`; a client rejects the document after this instant. */
  readonly expires: string;
}
/** `root.json`: the trust anchor, pinned in the app and rotated through a signed chain. */
export interface RootSigned extends CommonSigned {
  readonly _type: 'root';
  readonly keys: Readonly<Record<string, PublicKeyEntry>>;
  readonly roles: Readonly<Record<Role, RoleSpec>>;
}
/** One published adapter file, as targets metadata describes it. */
export interface TargetFile {
  /** Exact length in bytes. */
  readonly length: number;
  /** SHA-256 (hex) of the file. */
  readonly sha256: string;
  /** SHA-256 of the base encoder the adapter fits: `manifest.sha256["encoder.int8.onnx"]`. */
  readonly baseModel: string;
  /** Adapter version; the file header must carry the same number. */
  readonly adapterVersion: number;
}
/** `targets/<version>.json`: every adapter file with its length, hash and base-model binding. */
export interface TargetsSigned extends CommonSigned {
  readonly _type: 'targets';
  /** Keyed by path relative to the channel's base URL, e.g. `adapters/<sha256>.lsad`. */
  readonly targets: Readonly<Record<string, TargetFile>>;
}
/** Reference from one metadata file to another: version, exact length and hash. */
export interface MetaFileRef {
  readonly version: number;
  readonly length: number;
  readonly sha256: string;
}
/** `timestamp.json`: short-lived, re-signed often; pins the current targets metadata. */
export interface TimestampSigned extends CommonSigned {
  readonly _type: 'timestamp';
  readonly targets: MetaFileRef;
}
/** One signature over the canonical JSON of `signed`. */
export interface Signature {
  /** SHA-256 (hex) of the signing key's raw public key. */
  readonly keyid: string;
  /** Lowercase hex: 64 bytes (Ed25519, or P-256 `r‖s`). */
  readonly sig: string;
}
/** A parsed metadata file: the signed body, its signatures, and the exact bytes the signatures cover. */
export interface Envelope<T> {
  readonly signed: T;
  readonly signatures: readonly Signature[];
  /** Canonical JSON of `signed` (what was signed). */
  readonly signedBytes: Uint8Array<ArrayBuffer>;
}
/** Role name → its signed document type. */
export interface SignedByRole {
  root: RootSigned;
  targets: TargetsSigned;
  timestamp: TimestampSigned;
}

/** Most signatures one document may carry (bounds verification work). */
export const MAX_SIGNATURES = 32;
/** Most keys a root may list. */
export const MAX_KEYS = 64;
const EXPIRES_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const TARGET_PATH_RE = /^[a-z0-9][a-z0-9_-]*(?:\/[a-z0-9][a-z0-9._-]*)*\.lsad$/;

/** Parses a metadata file of `role` from its bytes. Throws `ADAPTER_MALFORMED` on any structural problem. */
export function parseMetadata<R extends Role>(bytes: Uint8Array, role: R): Envelope<SignedByRole[R]> {
  let doc: unknown;
  try {
    doc = JSON.parse(decodeUtf8Strict(bytes));
  } catch (cause) {
    throw malformed(`${role} metadata is not valid UTF-8 JSON`, cause);
  }
  return parseMetadataObject(doc, role);
}

/** Same as {@link parseMetadata} for an already-parsed JSON value (e.g. a root pinned in app config). */
export function parseMetadataObject<R extends Role>(doc: unknown, role: R): Envelope<SignedByRole[R]> {
  const top = record(doc, role);
  const signed = record(top.signed, `${role}.signed`);
  if (!Array.isArray(top.signatures)) throw malformed(`${role}.signatures must be an array`);
  if (top.signatures.length > MAX_SIGNATURES) throw malformed(`${role} has more than ${MAX_SIGNATURES} signatures`);
  const signatures = top.signatures.map((s, i): Signature => {
    const sig = record(s, `${role}.signatures[${i}]`);
    if (typeof sig.keyid !== 'string' || typeof sig.sig !== 'string') {
      throw malformed(`${role}.signatures[${i}] needs string keyid and sig`);
    }
    return { keyid: sig.keyid, sig: sig.sig };
  });
  if (signed._type !== role) throw malformed(`expected _type "${role}", got ${JSON.stringify(signed._type)}`);
  if (signed.spec !== METADATA_SPEC) throw malformed(`${role}: unsupported spec ${JSON.stringify(signed.spec)}`);
  positiveInt(signed.version, `${role}.version`);
  expiresAt(signed.expires, `${role}.expires`);
  if (role === 'root') checkRoot(signed);
  else if (role === 'targets') checkTargets(signed);
  else checkRef(signed.targets, 'timestamp.targets');
  let signedBytes: Uint8Array<ArrayBuffer>;
  try {
    signedBytes = canonicalBytes(signed);
  } catch (cause) {
    throw malformed(`${role}.signed is outside canonical JSON`, cause);
  }
  return { signed: signed as unknown as SignedByRole[R], signatures, signedBytes };
}

/** Milliseconds since the epoch of an `expires` field. Throws `ADAPTER_MALFORMED` if it is not strict UTC. */
export function expiresAt(value: unknown, what = 'expires'): number {
  if (typeof value !== 'string' || !EXPIRES_RE.test(value)) throw malformed(`${what} must be YYYY-MM-DDTHH:MM:SSZ`);
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || new Date(ms).toISOString().replace('.000Z', 'Z') !== value) {
    throw malformed(`${what} is not a real instant: ${value}`);
  }
  return ms;
}

function checkRoot(signed: Record<string, unknown>): void {
  const keys = record(signed.keys, 'root.keys');
  const keyids = Object.keys(keys);
  if (keyids.length === 0 || keyids.length > MAX_KEYS) throw malformed(`root lists ${keyids.length} keys`);
  for (const keyid of keyids) {
    if (!isSha256Hex(keyid)) throw malformed(`root key id ${JSON.stringify(keyid)} is not a sha256 hex`);
    const key = record(keys[keyid], `root.keys.${keyid}`);
    if (!(KEY_TYPES as readonly unknown[]).includes(key.keytype)) throw malformed(`root key ${keyid}: bad keytype`);
    if (typeof key.public !== 'string') throw malformed(`root key ${keyid}: public must be a hex string`);
  }
  const roles = record(signed.roles, 'root.roles');
  for (const role of ROLES) {
    const spec = record(roles[role], `root.roles.${role}`);
    if (!Array.isArray(spec.keyids) || spec.keyids.length === 0) throw malformed(`root.roles.${role}.keyids empty`);
    if (new Set(spec.keyids).size !== spec.keyids.length) throw malformed(`root.roles.${role}.keyids has duplicates`);
    for (const keyid of spec.keyids) {
      if (typeof keyid !== 'string' || !Object.hasOwn(keys, keyid)) {
        throw malformed(`root.roles.${role} names unknown key ${describeValue(keyid)}`);
      }
    }
    positiveInt(spec.threshold, `root.roles.${role}.threshold`);
    if ((spec.threshold as number) > spec.keyids.length) {
      throw malformed(`root.roles.${role}.threshold exceeds its key count`);
    }
  }
}

function checkTargets(signed: Record<string, unknown>): void {
  const targets = record(signed.targets, 'targets.targets');
  for (const path of Object.keys(targets)) {
    if (!TARGET_PATH_RE.test(path) || path.split('/').some((seg) => seg === '.' || seg === '..')) {
      throw malformed(`target path ${JSON.stringify(path)} is not a plain relative .lsad path`);
    }
    const t = record(targets[path], `targets.${path}`);
    positiveInt(t.length, `targets.${path}.length`);
    if (!isSha256Hex(t.sha256)) throw malformed(`targets.${path}.sha256 is not a sha256 hex`);
    if (!isSha256Hex(t.baseModel)) throw malformed(`targets.${path}.baseModel is not a sha256 hex`);
    positiveInt(t.adapterVersion, `targets.${path}.adapterVersion`);
  }
}

function checkRef(value: unknown, what: string): void {
  const ref = record(value, what);
  positiveInt(ref.version, `${what}.version`);
  positiveInt(ref.length, `${what}.length`);
  if (!isSha256Hex(ref.sha256)) throw malformed(`${what}.sha256 is not a sha256 hex`);
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function positiveInt(value: unknown, what: string): void {
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw malformed(`${what} must be a positive integer`);
}

function malformed(message: string, cause?: unknown): LocalshelfError {
  return new LocalshelfError('ADAPTER_MALFORMED', message, cause === undefined ? undefined : { cause });
}
