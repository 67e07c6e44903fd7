/**
 * Signature checks for update-channel metadata through WebCrypto (`crypto.subtle`): the same code runs in the
 * browser worker and in Node 20. Ed25519 is the scheme; ECDSA P-256 with SHA-256 is accepted for runtimes
 * without Ed25519 (a publisher lists both kinds of key and signs with both).
 *
 * Counting rule: a role is satisfied when at least `threshold` **distinct** keys listed for that role produced
 * a valid signature over the canonical bytes. A key that signs twice counts once; signatures by keys the role
 * does not list are ignored; a keyid is the SHA-256 of the raw public key, checked on import, so two keyids can
 * never name the same key.
 */
import { LocalshelfError } from '../../src/errors';
import { fromHex, sha256Hex } from './bytes';
import type { Envelope, KeyType, Role, RootSigned } from './metadata';

/** Imported keys of a root, by keyid; `null` where this runtime lacks the key's algorithm. */
export type RootKeys = ReadonlyMap<string, CryptoKey | null>;

const IMPORT_ALG: Record<KeyType, EcKeyImportParams | Algorithm> = {
  ed25519: { name: 'Ed25519' },
  'ecdsa-p256': { name: 'ECDSA', namedCurve: 'P-256' } as EcKeyImportParams,
};
const VERIFY_ALG: Record<KeyType, Algorithm | EcdsaParams> = {
  ed25519: { name: 'Ed25519' },
  'ecdsa-p256': { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
};
const PUBLIC_LENGTH: Record<KeyType, number> = { ed25519: 32, 'ecdsa-p256': 65 };

/**
 * Imports every key of a root for verification. Throws `ADAPTER_MALFORMED` when a key's bytes are invalid or
 * its keyid is not the SHA-256 of its raw public key. A key whose algorithm this runtime lacks maps to `null`
 * (it can never count toward a threshold here).
 */
export async function importRootKeys(root: RootSigned): Promise<RootKeys> {
  const out = new Map<string, CryptoKey | null>();
  for (const [keyid, entry] of Object.entries(root.keys)) {
    const raw = fromHex(entry.public, PUBLIC_LENGTH[entry.keytype]);
    if (raw === null) throw malformed(`root key ${keyid}: public key is not ${PUBLIC_LENGTH[entry.keytype]} bytes of hex`);
    if ((await sha256Hex(raw)) !== keyid) throw malformed(`root key ${keyid}: keyid is not sha256(public key)`);
    try {
      out.set(keyid, await crypto.subtle.importKey('raw', raw, IMPORT_ALG[entry.keytype], false, ['verify']));
    } catch (cause) {
      if ((cause as { name?: unknown } | null)?.name === 'NotSupportedError') out.set(keyid, null);
      else throw malformed(`root key ${keyid}: cannot import ${entry.keytype} key`, cause);
    }
  }
  return out;
}

/**
 * Resolves when `envelope` carries valid signatures from at least `threshold` distinct keys that `root` lists for
 * `role`; otherwise throws `ADAPTER_SIGNATURE`. `label` names the document in the error message.
 */
export async function verifyRoleSignatures(
  envelope: Envelope<unknown>,
  role: Role,
  root: RootSigned,
  keys: RootKeys,
  label: string = role,
): Promise<void> {
  const spec = root.roles[role];
  const listed = new Set(spec.keyids);
  const valid = new Set<string>();
  for (const { keyid, sig } of envelope.signatures) {
    if (valid.has(keyid) || !listed.has(keyid)) continue;
    const key = keys.get(keyid);
    const entry = root.keys[keyid];
    const sigBytes = fromHex(sig, 64);
    if (!key || !entry || sigBytes === null) continue;
    let ok = false;
    try {
      ok = await crypto.subtle.verify(VERIFY_ALG[entry.keytype], key, sigBytes, envelope.signedBytes);
    } catch {
      ok = false;
    }
    if (ok) valid.add(keyid);
  }
  if (valid.size < spec.threshold) {
    throw new LocalshelfError(
      'ADAPTER_SIGNATURE',
      `${label}: ${valid.size} valid signature(s) from distinct ${role} keys, threshold is ${spec.threshold}`,
    );
  }
}

function malformed(message: string, cause?: unknown): LocalshelfError {
  return new LocalshelfError('ADAPTER_MALFORMED', message, cause === undefined ? undefined : { cause });
}
