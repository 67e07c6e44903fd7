/**
 * The trust anchor: loading the pinned root and walking the signed root-rotation chain
 * (docs/update-channel.md, "Key rotation").
 *
 * Pure: no DOM, no Node APIs beyond `crypto.subtle`.
 */
import { LocalshelfError } from '../../src/errors';
import { canonicalize } from './canonical-json';
import { utf8 } from './bytes';
import { expiresAt, parseMetadata, parseMetadataObject, type Envelope, type RootSigned } from './metadata';
import { importRootKeys, verifyRoleSignatures, type RootKeys } from './signatures';

/** A root whose signatures have been checked, with its keys imported. */
export interface TrustedRoot {
  readonly signed: RootSigned;
  readonly keys: RootKeys;
  /** The root file's JSON text, to persist (IndexedDB) and reload with {@link loadTrustedRoot}. */
  readonly json: string;
}

/** What a rotation changed, so the caller can reset counters (recovery from a fast-forward attack). */
export interface RootRotation {
  readonly root: TrustedRoot;
  /** The set of timestamp keys changed: forget the stored timestamp version. */
  readonly timestampKeysChanged: boolean;
  /** The set of targets keys changed: forget the stored targets version. */
  readonly targetsKeysChanged: boolean;
}

/** Largest root metadata file accepted, bytes. */
export const MAX_ROOT_BYTES = 64 * 1024;

/**
 * Loads the pinned root (file bytes, JSON text, or the parsed object from app config). It must carry a threshold
 * of signatures from its own root keys. Expiry is not checked here: an expired root only blocks new updates
 * (see `verifyTimestamp`) until a rotation brings a fresh one. Throws `ADAPTER_MALFORMED` or `ADAPTER_SIGNATURE`.
 */
export async function loadTrustedRoot(root: Uint8Array | string | object): Promise<TrustedRoot> {
  const env =
    root instanceof Uint8Array
      ? parseMetadata(checkSize(root), 'root')
      : typeof root === 'string'
        ? parseMetadata(checkSize(utf8(root)), 'root')
        : parseMetadataObject(root, 'root');
  const keys = await importRootKeys(env.signed);
  await verifyRoleSignatures(env, 'root', env.signed, keys, `root v${env.signed.version}`);
  return { signed: env.signed, keys, json: serialize(env) };
}

/**
 * Accepts root `N+1` given trusted root `N`: the new file must be signed by a threshold of the **old** root keys
 * and a threshold of its **own** root keys, and carry version exactly `N+1`. Apply each version in turn
 * (`roots/<N+1>.json`, `roots/<N+2>.json`, ...) until the server answers 404.
 * Throws `ADAPTER_MALFORMED`, `ADAPTER_SIGNATURE` or `ADAPTER_ROLLBACK` (a version other than `N+1`).
 */
export async function rotateRoot(trusted: TrustedRoot, next: Uint8Array): Promise<RootRotation> {
  const env = parseMetadata(checkSize(next), 'root');
  const expected = trusted.signed.version + 1;
  if (env.signed.version !== expected) {
    throw new LocalshelfError('ADAPTER_ROLLBACK', `root rotation: expected version ${expected}, got ${env.signed.version}`);
  }
  await verifyRoleSignatures(env, 'root', trusted.signed, trusted.keys, `root v${expected} (by old root keys)`);
  const keys = await importRootKeys(env.signed);
  await verifyRoleSignatures(env, 'root', env.signed, keys, `root v${expected} (by its own keys)`);
  return {
    root: { signed: env.signed, keys, json: serialize(env) },
    timestampKeysChanged: !sameRole(trusted.signed, env.signed, 'timestamp'),
    targetsKeysChanged: !sameRole(trusted.signed, env.signed, 'targets'),
  };
}

/** Throws `ADAPTER_EXPIRED` when the trusted root has expired at `now` (ms since epoch). */
export function assertRootFresh(root: TrustedRoot, now: number): void {
  if (now >= expiresAt(root.signed.expires)) {
    throw new LocalshelfError('ADAPTER_EXPIRED', `root v${root.signed.version} expired at ${root.signed.expires}`);
  }
}

function sameRole(a: RootSigned, b: RootSigned, role: 'timestamp' | 'targets'): boolean {
  const ka = [...a.roles[role].keyids].sort();
  const kb = [...b.roles[role].keyids].sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

function serialize(env: Envelope<RootSigned>): string {
  return canonicalize({ signatures: env.signatures, signed: env.signed });
}

function checkSize(bytes: Uint8Array): Uint8Array {
  if (bytes.length > MAX_ROOT_BYTES) {
    throw new LocalshelfError('ADAPTER_TOO_LARGE', `root metadata is ${bytes.length} bytes, limit ${MAX_ROOT_BYTES}`);
  }
  return bytes;
}
