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
