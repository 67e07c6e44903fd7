import { describe, expect, it } from 'vitest';
import { hasShared, loadBeauty, loadMl1m, toRows, type TestSet } from '../../../eval/datasets';

describe('toRows', () => {
  const set: TestSet = {
    dataset: 'beauty',
    numItems: 3,
    externalIds: ['A', 'B', 'C'],
    histories: [[1, 2], [3]],
    targets: [3, 1],
    subsets: {},
    protocol: '',
  };
  it('maps item ids to rows through catalog ids, or id - 1 without a catalog', () => {
    expect(toRows(set, ['C', 'A', 'B'])).toEqual([
      { history: Int32Array.of(1, 2), target: 0 },
      { history: Int32Array.of(0), target: 1 },
    ]);
    expect(toRows(set)[0]).toEqual({ history: Int32Array.of(0, 1), target: 2 });
  });
  it('fails loudly when the catalog lacks an item', () => {
    expect(() => toRows(set, ['A', 'B'])).toThrow(/item 3 \(C\) is not in catalog.json/);
  });
});

// The real splits, when ../shared is present: the same users and targets as training/data.py.
describe.skipIf(!hasShared())('shared datasets', () => {
  it('Beauty: 22,363 users over 12,101 items, target = last item', () => {
    const b = loadBeauty();
    expect(b.targets.length).toBe(22363);
    expect(b.numItems).toBe(12101);
    expect(b.externalIds[0]).toBe('B004756YJA');
    // user 1 of s3rec_Beauty: "1 1 2 3 4 5"
    expect(b.histories[0]).toEqual([1, 2, 3, 4]);
    expect(b.targets[0]).toBe(5);
  });

  it('ML-1M: 6,040 users, the 512 validation users get their full seq[:-1]', () => {
    const m = loadMl1m();
    expect(m.targets.length).toBe(6040);
    expect(m.numItems).toBe(3416);
    const exact = m.subsets.test_exact!;
    expect(exact.reduce((a, b) => a + b, 0)).toBe(512);
    // user 0 is a plain user: history = train_input (first line), target = first line of gsasrec_test_output.txt (79)
    expect(m.targets[0]).toBe(79);
    expect(m.histories[0]!.slice(0, 3)).toEqual([1, 2, 3]);
  });
});
