import { describe, expect, it } from 'vitest';
import { isLocalshelfError } from '../../../src/errors';
import type { Rules } from '../../../src/protocol';
import { encodeItemMatrix, parseItemMatrix } from '../../../workers/engine/item-matrix';
import type { CatalogEntry } from '../../../workers/runtime/load-model';
import { applyRules, attributeNames, checkRules, selectShelf } from '../../../workers/rules';
import { rowNorms } from '../../../workers/search/semantic';

// 12 items: brands A/B/C in turn, categories by half, prices 1..12; items 0 and 1 point the same way (near twins).
const entries: CatalogEntry[] = Array.from({ length: 12 }, (_, i) => ({
  id: `i${i}`,
  title: `item ${i}`,
  popularity: 12 - i,
  attributes: { brand: 'ABC'[i % 3]!, category: i < 6 ? 'Beauty > Skin > Creams' : 'Beauty > Hair', price: i + 1, inStock: i % 4 !== 3 },
}));
const vectors = Float32Array.from({ length: 12 * 16 }, (_, j) => {
  const row = Math.floor(j / 16);
  return Math.sin((row === 1 ? 0 : row) * 7 + (j % 16));
});
const matrix = parseItemMatrix(new Uint8Array(encodeItemMatrix(vectors, 12, 16)));
const norms = rowNorms(matrix);
const known = attributeNames(entries);
const rowOf = (id: string) => (/^i\d+$/.test(id) && Number(id.slice(1)) < 12 ? Number(id.slice(1)) : undefined);

/** Scores 12, 11, …, 1 (item 0 best), the rules applied, k items. */
function shelf(rules: Rules, k = 5): string[] {
  const scores = Float32Array.from({ length: 12 }, (_, i) => 12 - i);
  const mask = new Uint8Array(12);
  const checked = checkRules(rules, known);
  applyRules(entries, checked, scores, mask);
  return selectShelf({ entries, scores, mask, k, rules: checked, matrix, norms, rowOf }).rows.map((r) => `i${r}`);
}

describe('business rules', () => {
  it('filters by value, list, range, category prefix (by segment) and stock', () => {
    expect(shelf({ where: { brand: 'B' } })).toEqual(['i1', 'i4', 'i7', 'i10']);
    expect(shelf({ where: { brand: ['A', 'C'], price: { min: 4, max: 9 } } })).toEqual(['i3', 'i5', 'i6', 'i8']);
    expect(shelf({ where: { category: { prefix: 'beauty > skin' } } }, 10)).toEqual(['i0', 'i1', 'i2', 'i3', 'i4', 'i5']);
    expect(shelf({ where: { category: { prefix: 'Beauty > Ski' } } })).toEqual([]);
    expect(shelf({ where: { inStock: true } }, 3)).toEqual(['i0', 'i1', 'i2']);
    expect(shelf({ where: { inStock: false } })).toEqual(['i3', 'i7', 'i11']);
  });

  it('boosts, pins at positions, and keeps k when enough items qualify', () => {
    expect(shelf({ boost: [{ where: { brand: 'C' }, add: 100 }] }, 4)).toEqual(['i2', 'i5', 'i8', 'i11']);
    expect(shelf({ boost: [{ where: { price: { min: 12 } }, multiply: 100 }] }, 2)).toEqual(['i11', 'i0']);
    expect(shelf({ pin: [{ itemId: 'i9', position: 1 }, { itemId: 'i0', position: 0 }] }, 4)).toEqual(['i0', 'i9', 'i1', 'i2']);
    // A pin bypasses the filter; the rest still obeys it.
    expect(shelf({ where: { brand: 'A' }, pin: [{ itemId: 'i1', position: 2 }] }, 4)).toEqual(['i0', 'i3', 'i1', 'i6']);
  });

  it('caps items per attribute value, walking the whole ranking to fill k', () => {
    expect(shelf({ diversity: { maxPer: { attribute: 'brand', count: 1 } } }, 5)).toEqual(['i0', 'i1', 'i2']);
    expect(shelf({ diversity: { maxPer: { attribute: 'brand', count: 2 } } }, 6)).toEqual(['i0', 'i1', 'i2', 'i3', 'i4', 'i5']);
    expect(shelf({ diversity: { maxPer: { attribute: 'category', count: 2 } } }, 4)).toEqual(['i0', 'i1', 'i6', 'i7']);
  });

  it('MMR: lambda 1 is the plain ranking; a low lambda moves the near twin of the first item down', () => {
    expect(shelf({ diversity: { lambda: 1 } }, 4)).toEqual(['i0', 'i1', 'i2', 'i3']);
    const diverse = shelf({ diversity: { lambda: 0.3 } }, 4);
    expect(diverse[0]).toBe('i0');
    expect(diverse).not.toContain('i1');
    expect(new Set(diverse).size).toBe(4);
  });

  it('typed errors: unknown attribute, bad condition, bad pin, unknown pinned item', () => {
    const code = (f: () => unknown): string => {
      try {
        f();
        return 'ok';
      } catch (e) {
        return isLocalshelfError(e) ? e.code : `untyped: ${String(e)}`;
      }
    };
    expect(code(() => checkRules({ where: { colour: 'red' } }, known))).toBe('INVALID_ARGUMENT');
    expect(code(() => checkRules({ where: { price: { min: 'cheap' } } }, known))).toBe('INVALID_ARGUMENT');
    expect(code(() => checkRules({ where: { brand: [] } }, known))).toBe('INVALID_ARGUMENT');
    expect(code(() => checkRules({ pin: [{ itemId: 'i1', position: -1 }] }, known))).toBe('INVALID_ARGUMENT');
    expect(code(() => checkRules({ diversity: { maxPer: { attribute: 'size', count: 2 } } }, known))).toBe('INVALID_ARGUMENT');
    expect(code(() => checkRules({ diversity: { lambda: 2 } }, known))).toBe('INVALID_ARGUMENT');
    expect(code(() => shelf({ pin: [{ itemId: 'nope', position: 0 }] }))).toBe('UNKNOWN_ITEM');
  });
});
