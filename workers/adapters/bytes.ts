/**
 * Byte helpers shared by the update channel: strict lowercase hex, SHA-256 through WebCrypto, UTF-8.
 *
 * Pure: no DOM, no Node APIs; `crypto.subtle` is the one global it needs (Node 20, every current browser and
 * worker). Strictness matters here: a lenient decoder (uppercase hex, base64 with slack bits) lets one signature or
 * key have two spellings, which breaks "one key, one vote" accounting and byte-level tamper tests.
 */

const HEX_RE = /^(?:[0-9a-f]{2})*$/;

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += bytes[i]!.toString(16).padStart(2, '0');
  return out;
}

/**
 * Decodes lowercase hex of exactly `expectedBytes` bytes (when given). Returns `null` on anything else:
 * uppercase, odd length, stray characters, wrong length. Callers turn `null` into their own typed error.
 */
export function fromHex(hex: string, expectedBytes?: number): Uint8Array<ArrayBuffer> | null {
  if (!HEX_RE.test(hex)) return null;
  if (expectedBytes !== undefined && hex.length !== expectedBytes * 2) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** True for a 64-character lowercase hex string (a SHA-256 digest). */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && value.length === 64 && HEX_RE.test(value);
}

/** SHA-256 of `bytes` as lowercase hex, through `crypto.subtle` (the same code in a worker and in Node). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', asArrayBufferView(bytes));
  return toHex(new Uint8Array(digest));
}

/** Constant-content comparison of two byte arrays. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const encoder = new TextEncoder();

/** UTF-8 encoding of `text`. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

/**
 * Strict UTF-8 decoding: invalid sequences throw a `TypeError` instead of turning into U+FFFD, so two different
 * byte strings never decode to the same text.
 */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
}

/** A view whose buffer type WebCrypto accepts (copies only when `bytes` sits on a SharedArrayBuffer). */
export function asArrayBufferView(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
