import { describe, expect, it } from 'vitest';
import { LexicalIndex, processTerm } from '../../../workers/search/lexical-index';

const TITLES = [
  'OPI Nail Lacquer, Simmer and Shimmer',
  'Essie Nail Polish, Ballet Slippers',
  'Suave Naturals Shampoo, Strawberry',
  'Redken Color Extend Shampoo for Colored Hair',
  'Crème brûlée Lip Balm',
];
const build = (): LexicalIndex => LexicalIndex.build(TITLES.map((title, id) => ({ id, title })));

describe('LexicalIndex (MiniSearch)', () => {
  it('processes terms like the tokenizer: lower case, accents stripped, stop words dropped', () => {
    expect(processTerm('Crème')).toBe('creme');
    expect(processTerm('and')).toBeNull();
    expect(build().terms('Shampoo FOR the Hair')).toEqual(['shampoo', 'hair']);
  });

  it('ranks documents matching more query terms first and reports the matched terms', () => {
    const hits = build().search(['shampoo', 'hair'], 10);
    expect(hits[0]!.row).toBe(3);
    expect(hits[0]!.terms.sort()).toEqual(['hair', 'shampoo']);
    expect(hits.map((h) => h.row)).toContain(2);
  });

  it('matches the last term as a prefix (search as you type) and tolerates a typo', () => {
    const idx = build();
    expect(idx.search(['lacq'], 10).map((h) => h.row)).toEqual([0]);
    expect(idx.search(['lacq', 'opi'], 10).map((h) => h.row)).toEqual([0]); // only the last term is a prefix
    expect(idx.search(['shampooo'], 10).map((h) => h.row).sort()).toEqual([2, 3]);
    expect(idx.search(['creme'], 10).map((h) => h.row)).toEqual([4]);
  });

  it('survives a JSON round trip and takes documents added later', async () => {
    const idx = build();
    const copy = await LexicalIndex.fromJSON(idx.toJSON());
    expect(copy.size).toBe(TITLES.length);
    expect(copy.search(['nail'], 10)).toEqual(idx.search(['nail'], 10));
    copy.add([{ id: 5, title: 'Moonpetal Lip Sleeping Mask' }]);
    expect(copy.search(['moonpetal'], 10).map((h) => h.row)).toEqual([5]);
  });

  it('treats hostile input as plain words', () => {
    const idx = build();
    for (const q of ['__proto__ constructor', '<script>alert(1)</script>', '.*+?^${}()|[]\\', 'a'.repeat(500)]) {
      expect(() => idx.search(idx.terms(q), 10)).not.toThrow();
    }
  });
});

describe('LexicalIndex.buildInChunks', () => {
  it('builds the same index as build(), a chunk at a time', async () => {
    const docs = TITLES.map((title, id) => ({ id, title }));
    const chunked = await LexicalIndex.buildInChunks(docs, 2);
    expect(chunked.size).toBe(docs.length);
    expect(chunked.toJSON()).toBe(LexicalIndex.build(docs).toJSON());
  });
});

describe('LexicalIndex.serialize / deserialize', () => {
  const many = Array.from({ length: 250 }, (_, id) => ({ id, title: `${TITLES[id % TITLES.length]} no. ${id}` }));

  it('writes what MiniSearch toJSON() writes, in parts of the given size', async () => {
    const idx = LexicalIndex.build(many);
    const parts = await idx.serialize(40);
    expect(parts.length).toBeGreaterThan(8); // head + documentIds, fieldLength, storedFields and index in slices
    for (const p of parts.slice(1)) {
      const { section, entries } = JSON.parse(p) as { section: string; entries: unknown[][] };
      // at most 40 map entries, or 40 postings of the term index (a common term is split over parts)
      const size = section === 'index' ? entries.reduce((n, e) => n + Object.keys(e[2] as object).length, 0) : entries.length;
      expect(size).toBeLessThanOrEqual(40);
    }
    // "nail" is in 100 of the 250 titles: its postings span parts
    expect(parts.filter((p) => p.includes('["nail",')).length).toBeGreaterThan(1);
    // reassembled, the parts are MiniSearch's own plain-object form, key for key and in its order
    const { head } = JSON.parse(parts[0]!) as { head: Record<string, unknown> };
    const js: Record<string, unknown> = { ...head, documentIds: {}, fieldLength: {}, storedFields: {}, index: [] };
    const terms = new Map<string, Record<string, Record<string, number>>>();
    for (const p of parts.slice(1)) {
      const { section, entries } = JSON.parse(p) as { section: string; entries: unknown[][] };
      if (section !== 'index') Object.assign(js[section] as object, Object.fromEntries(entries));
      else
        for (const [term, field, postings] of entries as [string, number, Record<string, number>][]) {
          if (!terms.has(term)) (js.index as unknown[]).push([term, terms.set(term, {}).get(term)]);
          const fields = terms.get(term)!;
          fields[field] = { ...fields[field], ...postings };
        }
    }
    expect(js).toEqual(JSON.parse(idx.toJSON()));
    // and read back, the index holds the same terms (MiniSearch may walk them in another order)
    const back = JSON.parse((await LexicalIndex.deserialize(parts)).toJSON()) as { index: [string, unknown][] };
    const byTerm = (x: { index: [string, unknown][] }) => [...x.index].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    expect(byTerm(back)).toEqual(byTerm(js as { index: [string, unknown][] }));
  });

  it('restores an index that searches as the original and takes later documents', async () => {
    const idx = LexicalIndex.build(many);
    const back = await LexicalIndex.deserialize(await idx.serialize(33));
    expect(back.size).toBe(many.length);
    for (const q of [['nail'], ['shampoo', 'hair'], ['lacq'], ['shampooo'], ['137']]) expect(back.search(q, 20)).toEqual(idx.search(q, 20));
    back.add([{ id: 999, title: 'Moonpetal Lip Sleeping Mask' }]);
    expect(back.search(['moonpetal'], 10).map((h) => h.row)).toEqual([999]);
  });

  it('pauses between parts, so that other work runs while a large index is serialized', async () => {
    const idx = LexicalIndex.build(many);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await idx.serialize(10);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });

  it('rejects damaged parts (the engine then rebuilds)', async () => {
    const parts = await LexicalIndex.build(many).serialize(50);
    await expect(LexicalIndex.deserialize([])).rejects.toThrow();
    await expect(LexicalIndex.deserialize(['{"x":1}'])).rejects.toThrow();
    await expect(LexicalIndex.deserialize([parts[0]!, '{"section":"nope","entries":[]}'])).rejects.toThrow();
    await expect(LexicalIndex.deserialize([parts[0]!, parts[1]!.slice(0, 20)])).rejects.toThrow();
  });
});
