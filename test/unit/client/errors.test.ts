import { describe, expect, it } from 'vitest';
import { fromWireError, isLocalshelfError, LocalshelfError, toWireError } from '../../../src/errors';
import { resolveOptions } from '../../../src/options';

describe('errors', () => {
  it('round-trips class, code and cause through structured clone', () => {
    const error = new LocalshelfError('MODEL_CORRUPT', 'outer', { cause: new RangeError('inner') });
    const back = fromWireError(structuredClone(toWireError(error)));
    expect(back).toBeInstanceOf(LocalshelfError);
    expect((back as LocalshelfError).code).toBe('MODEL_CORRUPT');
    expect((back.cause as Error).name).toBe('RangeError');
    expect((back.cause as Error).message).toBe('inner');
  });

  it('recognizes errors from another realm by name and code only when the code is known', () => {
    expect(isLocalshelfError({ name: 'LocalshelfError', code: 'TIMEOUT', message: '' })).toBe(true);
    expect(isLocalshelfError({ name: 'LocalshelfError', code: 'NOPE' })).toBe(false);
    expect(isLocalshelfError(new Error('x'))).toBe(false);
    expect(isLocalshelfError(new LocalshelfError('TIMEOUT', 'x'), 'ABORTED')).toBe(false);
  });
});

describe('resolveOptions', () => {
  it('applies defaults once and makes URLs absolute', () => {
    const o = resolveOptions({ model: '/m/manifest.json' }, 'https://shop.example/p/');
    expect(o).toMatchObject({ modelUrl: 'https://shop.example/m/manifest.json', backend: 'auto', storageName: 'localshelf', historyCap: 10000 });
  });

  it.each([
    [{}, 'model'],
    [{ model: 'm.json', backend: 'cuda' }, 'backend'],
    [{ model: 'm.json', historyCap: 0 }, 'historyCap'],
    [{ model: 'm.json', historyCap: 1.5 }, 'historyCap'],
    [{ model: 'http://[bad', files: {} }, 'model'],
  ])('refuses %j', (options, field) => {
    expect(() => resolveOptions(options as never, 'https://shop.example/')).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(field) }));
  });
});
