/**
 * Signing keys for the update channel (Node only, `node:crypto`). A key file is JSON:
 * `{ "keytype": "ed25519" | "ecdsa-p256", "keyid": "<sha256 of raw public key>", "public": "<hex>",
 *    "private": "<PKCS#8 PEM>" }`. Keep private key files offline (root, targets) or on the one machine that
 * re-signs the timestamp; see docs/update-channel.md, "Keys".
 */
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { KeyType } from '../../workers/adapters/metadata';

/** A signing key: public half as root metadata lists it, plus the private key. */
export interface SigningKey {
  readonly keytype: KeyType;
  readonly keyid: string;
  /** Lowercase hex of the raw public key. */
  readonly public: string;
  readonly privateKey: KeyObject;
}

/** The JSON stored in a key file. */
export interface KeyFile {
  readonly keytype: KeyType;
  readonly keyid: string;
  readonly public: string;
  readonly private: string;
}

/** Generates a fresh key pair. */
export function generateSigningKey(keytype: KeyType = 'ed25519'): SigningKey {
  const { privateKey } =
    keytype === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return fromPrivateKey(privateKey, keytype);
}

/** The key file JSON of a key (contains the private key: write it with mode 0600). */
export function toKeyFile(key: SigningKey): KeyFile {
  const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { keytype: key.keytype, keyid: key.keyid, public: key.public, private: pem };
}

/** Writes a key file readable by its owner only. */
export function writeKeyFile(path: string, key: SigningKey): void {
  writeFileSync(path, `${JSON.stringify(toKeyFile(key), null, 2)}\n`, { mode: 0o600, flag: 'wx' });
}

/** Reads a key file and checks that its keyid and public key match the private key. */
export function readKeyFile(path: string): SigningKey {
  const file = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  if (file.keytype !== 'ed25519' && file.keytype !== 'ecdsa-p256') throw new Error(`${path}: unknown keytype`);
  const key = fromPrivateKey(createPrivateKey(file.private), file.keytype);
  if (key.keyid !== file.keyid || key.public !== file.public) throw new Error(`${path}: keyid/public do not match the private key`);
  return key;
}

/** Signs `message` (canonical JSON bytes) with `key`: 64 bytes (Ed25519, or P-256 `r‖s`), lowercase hex. */
export function signBytes(key: SigningKey, message: Uint8Array): string {
  const sig =
    key.keytype === 'ed25519'
      ? sign(null, message, key.privateKey)
      : sign('sha256', message, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return sig.toString('hex');
}

function fromPrivateKey(privateKey: KeyObject, keytype: KeyType): SigningKey {
  const jwk = privateKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x ?? '', 'base64url');
  const raw = keytype === 'ed25519' ? x : Buffer.concat([Buffer.from([4]), x, Buffer.from(jwk.y ?? '', 'base64url')]);
  const expected = keytype === 'ed25519' ? 32 : 65;
  if (raw.length !== expected) throw new Error(`unexpected ${keytype} public key length ${raw.length}`);
  return { keytype, keyid: createHash('sha256').update(raw).digest('hex'), public: raw.toString('hex'), privateKey };
}
