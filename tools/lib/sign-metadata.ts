/**
 * Building and signing update-channel metadata (Node only). Documents follow workers/adapters/metadata.ts;
 * signatures cover the canonical JSON of `signed` (workers/adapters/canonical-json.ts), and a published file is
 * the canonical JSON of `{ signatures, signed }`.
 */
import { createHash } from 'node:crypto';
import { canonicalBytes } from '../../workers/adapters/canonical-json';
import {
  METADATA_SPEC, type MetaFileRef, type Role, type RootSigned, type Signature, type TargetFile, type TargetsSigned,
  type TimestampSigned,
} from '../../workers/adapters/metadata';
import { signBytes, type SigningKey } from './keys';

/** A signed document as published. */
export interface SignedDocument<T> {
  readonly signatures: Signature[];
  readonly signed: T;
}

/** Signs `signed` with every key given (each once). */
export function signDocument<T>(signed: T, keys: readonly SigningKey[]): SignedDocument<T> {
  const message = canonicalBytes(signed);
  const seen = new Set<string>();
  const signatures: Signature[] = [];
  for (const key of keys) {
    if (seen.has(key.keyid)) continue;
    seen.add(key.keyid);
    signatures.push({ keyid: key.keyid, sig: signBytes(key, message) });
  }
  return { signatures, signed };
}

/** The bytes of a published metadata file. */
export function documentBytes(doc: SignedDocument<unknown>): Uint8Array<ArrayBuffer> {
  return canonicalBytes(doc);
}

/** Role → keys (public halves suffice) and threshold, for {@link buildRoot}. */
export type RoleKeys = Record<Role, { readonly keys: readonly Pick<SigningKey, 'keyid' | 'keytype' | 'public'>[]; readonly threshold: number }>;

/** Root metadata listing every role's keys and threshold. */
export function buildRoot(version: number, expires: string, roles: RoleKeys): RootSigned {
  const keys: Record<string, { keytype: SigningKey['keytype']; public: string }> = {};
  const out = {} as Record<Role, { keyids: string[]; threshold: number }>;
  for (const role of ['root', 'targets', 'timestamp'] as const) {
    const { keys: roleKeys, threshold } = roles[role];
    for (const k of roleKeys) keys[k.keyid] = { keytype: k.keytype, public: k.public };
    out[role] = { keyids: [...new Set(roleKeys.map((k) => k.keyid))], threshold };
  }
  return { _type: 'root', spec: METADATA_SPEC, version, expires, keys, roles: out };
}

/** Targets metadata. */
export function buildTargets(version: number, expires: string, targets: Record<string, TargetFile>): TargetsSigned {
  return { _type: 'targets', spec: METADATA_SPEC, version, expires, targets };
}

/** Timestamp metadata pinning the given targets file bytes. */
export function buildTimestamp(version: number, expires: string, targetsVersion: number, targetsBytes: Uint8Array): TimestampSigned {
  const ref: MetaFileRef = { version: targetsVersion, length: targetsBytes.length, sha256: sha256(targetsBytes) };
  return { _type: 'timestamp', spec: METADATA_SPEC, version, expires, targets: ref };
}

/** SHA-256 hex (Node). */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `YYYY-MM-DDTHH:MM:SSZ` for `ms` since epoch (seconds truncated). */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Parses a duration like `90s`, `30m`, `12h`, `7d` into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new Error(`bad duration ${JSON.stringify(text)}: use e.g. 30m, 12h, 7d`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
