/** `options.adapters`: defaults, URL handling and validation (src/options.ts). */
import { describe, expect, it } from 'vitest';
import { isLocalshelfError } from '../../../src/errors';
import { resolveOptions, type AdapterOptions } from '../../../src/options';

const ROOT = { signatures: [], signed: { _type: 'root', version: 1 } };
const resolve = (adapters?: Partial<AdapterOptions>) =>
  resolveOptions({ model: '/m/manifest.json', ...(adapters ? { adapters: { url: '/channel', root: ROOT, ...adapters } as AdapterOptions } : {}) }, 'https://shop.example/p/');

describe('options.adapters', () => {
  it('is off when absent', () => {
    expect(resolve().adapters).toBeUndefined();
  });

  it('applies documented defaults, resolves the URL against the page and adds the trailing slash', () => {
    expect(resolve({})).toMatchObject({
      adapters: {
        url: 'https://shop.example/channel/', rootJson: JSON.stringify(ROOT), intervalMs: 21_600_000, jitter: 0.2,
        backoffBaseMs: 30_000, backoffMaxMs: 21_600_000, initialDelayMs: 10_000, maxAdapterBytes: 33_554_432,
      },
    });
    expect(resolve({ url: new URL('https://cdn.example/c/'), root: JSON.stringify(ROOT), intervalMs: 1000, initialDelayMs: 0 }).adapters)
      .toMatchObject({ url: 'https://cdn.example/c/', rootJson: JSON.stringify(ROOT), backoffMaxMs: 1000, initialDelayMs: 0 });
  });

  it.each([
    ['a URL with a query (it would be a side channel)', { url: 'https://cdn.example/c/?user=1' }],
    ['no url', { url: undefined }],
    ['a root that is not JSON', { root: '{not json' }],
    ['a root that is not signed metadata', { root: { version: 1 } }],
    ['jitter above 1', { jitter: 1.5 }],
    ['a fractional interval', { intervalMs: 10.5 }],
    ['a negative initial delay', { initialDelayMs: -1 }],
    ['a zero size cap', { maxAdapterBytes: 0 }],
  ])('rejects %s with INVALID_ARGUMENT', (_name, bad) => {
    let error: unknown;
    try {
      resolve(bad as Partial<AdapterOptions>);
    } catch (e) {
      error = e;
    }
    expect(isLocalshelfError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
  });
});
