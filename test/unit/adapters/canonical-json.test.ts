/** Canonical JSON: the bytes signatures cover must be unique per value and refuse anything ambiguous. */
import { describe, expect, it } from 'vitest';
import { canonicalize, CanonicalJsonError } from '../../../workers/adapters/canonical-json';

describe('canonicalize', () => {
  it('sorts keys by UTF-16 code units at every depth and drops whitespace', () => {
    expect(canonicalize({ b: 1, a: [{ z: true, y: null }], A: 'x' })).toBe('{"A":"x","a":[{"y":null,"z":true}],"b":1}');
    // U+00E9 (é) sorts after "z"; an astral char (surrogates D83D...) after U+00E9 in code-unit order.
    expect(canonicalize({ '\u00e9': 1, z: 2, '\u{1F600}': 3 })).toBe('{"z":2,"\u00e9":1,"\u{1F600}":3}');
  });

  it('is independent of insertion order', () => {
    const a = { version: 2, expires: '2025-01-01T00:00:00Z', targets: { x: { length: 1 } } };
    const b = { targets: { x: { length: 1 } }, expires: '2025-01-01T00:00:00Z', version: 2 };
    expect(canonicalize(a)).toBe(canonicalize(b));
  });

  it('escapes strings as JSON.stringify does (RFC 8785 for strings)', () => {
    expect(canonicalize('a"b\\c\n\u0001\u2028')).toBe('"a\\"b\\\\c\\n\\u0001\u2028"');
  });

  it.each([
    ['a float', 1.5],
    ['negative zero', -0],
    ['an unsafe integer', 2 ** 53],
    ['NaN', NaN],
    ['undefined in an object', { a: undefined }],
    ['a sparse array', [1, , 2]],
    ['a bigint', 1n],
    ['a Date', new Date(0)],
    ['a lone surrogate', '\uD800'],
    ['a lone surrogate key', { '\uDC00': 1 }],
  ])('rejects %s', (_name, value) => {
    expect(() => canonicalize(value)).toThrow(CanonicalJsonError);
  });

  it('rejects cycles but allows shared subtrees', () => {
    const shared = { x: 1 };
    expect(canonicalize({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalize(cyclic)).toThrow(/cycle/);
  });

  it('round-trips through JSON.parse to the same canonical text', () => {
    const value = { signed: { _type: 'targets', version: 7, targets: { 'adapters/x.lsad': { length: 10 } } }, signatures: [] };
    const text = canonicalize(value);
    expect(canonicalize(JSON.parse(text))).toBe(text);
  });
});
