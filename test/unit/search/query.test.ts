import { describe, expect, it } from 'vitest';
import { isLocalshelfError } from '../../../src/errors';
import { MAX_QUERY_LENGTH, resolveSearchOptions } from '../../../src/search';
import { checkSearchRequest, normalizeQuery } from '../../../workers/search/query';

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return isLocalshelfError(e) ? e.code : 'not-a-localshelf-error';
  }
  return undefined;
};

describe('normalizeQuery', () => {
  it('collapses whitespace, drops invisible characters, applies NFKC', () => {
    expect(normalizeQuery('  nail\t\n polish ')).toBe('nail polish');
    expect(normalizeQuery('li\u200bp\u202egloss')).toBe('li p gloss');
    expect(normalizeQuery('ｓｈａｍｐｏｏ')).toBe('shampoo');
    expect(normalizeQuery(' \u200b ')).toBe('');
  });
  it('rejects non-strings and over-long queries with INVALID_QUERY', () => {
    expect(code(() => normalizeQuery(42))).toBe('INVALID_QUERY');
    expect(code(() => normalizeQuery(null))).toBe('INVALID_QUERY');
    expect(code(() => normalizeQuery({ toString: () => 'x' }))).toBe('INVALID_QUERY');
    expect(code(() => normalizeQuery('x'.repeat(MAX_QUERY_LENGTH + 1)))).toBe('INVALID_QUERY');
    expect(code(() => normalizeQuery('x'.repeat(MAX_QUERY_LENGTH)))).toBeUndefined();
  });
});

describe('checkSearchRequest', () => {
  it('applies defaults', () => {
    expect(checkSearchRequest('lip', undefined)).toEqual({ query: 'lip', k: 10, personalize: true, filterIds: undefined });
  });
  it('rejects a bad k, personalize or filter with INVALID_ARGUMENT', () => {
    for (const k of [0, -1, 101, 2.5, Number.NaN, '5']) expect(code(() => checkSearchRequest('a', { k: k as number }))).toBe('INVALID_ARGUMENT');
    expect(code(() => checkSearchRequest('a', { personalize: 'yes' as unknown as boolean }))).toBe('INVALID_ARGUMENT');
    expect(code(() => checkSearchRequest('a', { filter: { ids: 'abc' as unknown as string[] } }))).toBe('INVALID_ARGUMENT');
    expect(code(() => checkSearchRequest('a', { filter: { ids: [1 as unknown as string] } }))).toBe('INVALID_ARGUMENT');
  });
});

describe('resolveSearchOptions', () => {
  const base = 'https://shop.example/catalog/page.html';
  it('defaults to the manifest\'s own text tower, q8, offline copies on', () => {
    expect(resolveSearchOptions(undefined, base)).toEqual({ textModel: undefined, textDtype: 'q8', offlineCache: true, eager: false });
    expect(resolveSearchOptions({ eager: true }, base).eager).toBe(true);
    expect(() => resolveSearchOptions({ eager: 1 as unknown as boolean }, base)).toThrow(/eager/);
  });
  it('resolves a folder URL against the page and a model id under textModelPath', () => {
    expect(resolveSearchOptions({ textModel: '/models/minilm' }, base).textModel).toBe('https://shop.example/models/minilm/');
    expect(resolveSearchOptions({ textModel: 'Xenova/all-MiniLM-L6-v2' }, base).textModel).toBe('https://shop.example/models/Xenova/all-MiniLM-L6-v2/');
    expect(resolveSearchOptions({ textModel: 'Xenova/all-MiniLM-L6-v2', textModelPath: 'https://cdn.example/m' }, base).textModel).toBe(
      'https://cdn.example/m/Xenova/all-MiniLM-L6-v2/',
    );
    expect(resolveSearchOptions({ textModel: false }, base).textModel).toBe(false);
    expect(resolveSearchOptions({ textVectors: 'vectors.lsim' }, base).textVectors).toBe('https://shop.example/catalog/vectors.lsim');
  });
  it('rejects an unknown dtype', () => {
    expect(code(() => resolveSearchOptions({ textDtype: 'fp64' as never }, base))).toBe('INVALID_ARGUMENT');
  });
});
