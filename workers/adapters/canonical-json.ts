/**
 * Canonical JSON: the exact bytes that update-channel signatures cover (docs/update-channel.md, "Canonical JSON").
 *
 * A strict subset of RFC 8785 (JSON Canonicalization Scheme): object keys sorted by UTF-16 code units, no
 * whitespace, strings escaped as `JSON.stringify` escapes them, UTF-8 output. Numbers must be safe integers (no
 * floats, no `-0`, so there is no number-formatting question to agree on), strings must be well-formed UTF-16.
 * `undefined`, functions, symbols, bigints, non-plain objects and cycles are rejected rather than dropped, so
 * the signer can never sign something other than what it was handed.
 */
import { utf8 } from './bytes';

/** A value canonical JSON can encode. */
export type CanonicalValue =
  | null
  | boolean
  | number
  | string
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Thrown for a value outside the canonical subset (a programming error on the signing side). */
export class CanonicalJsonError extends TypeError {
  override readonly name = 'CanonicalJsonError';
}

/** Canonical JSON text of `value`. Throws {@link CanonicalJsonError} on values outside the subset. */
export function canonicalize(value: unknown): string {
  return write(value, '$', new Set());
}

/** Canonical JSON of `value` as UTF-8 bytes: what is signed and verified. */
export function canonicalBytes(value: unknown): Uint8Array<ArrayBuffer> {
  return utf8(canonicalize(value));
}

function write(value: unknown, path: string, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value) || Object.is(value, -0)) {
        throw new CanonicalJsonError(`${path}: only safe integers are allowed, got ${String(value)}`);
      }
      return String(value);
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new CanonicalJsonError(`${path}: string has a lone surrogate`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`${path}: ${typeof value} is not JSON`);
  }
  const obj = value as object;
  if (seen.has(obj)) throw new CanonicalJsonError(`${path}: cycle`);
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      const items: string[] = [];
      for (let i = 0; i < obj.length; i++) items.push(write(obj[i], `${path}[${i}]`, seen));
      return `[${items.join(',')}]`;
    }
    const proto = Object.getPrototypeOf(obj) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalJsonError(`${path}: only plain objects and arrays are allowed`);
    }
    const keys = Object.keys(obj).sort();
    const parts = keys.map((key) => {
      if (LONE_SURROGATE.test(key)) throw new CanonicalJsonError(`${path}: key has a lone surrogate`);
      return `${JSON.stringify(key)}:${write((obj as Record<string, unknown>)[key], `${path}.${key}`, seen)}`;
    });
    return `{${parts.join(',')}}`;
  } finally {
    seen.delete(obj);
  }
}
