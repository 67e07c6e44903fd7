import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedRoot } from '../../../eval/datasets';
import { isLocalshelfError } from '../../../src/errors';
import { WordPieceTokenizer } from '../../../workers/search/wordpiece';

const path = join(sharedRoot(), 'models', 'all-MiniLM-L6-v2-tokenizer', 'tokenizer.json');

// Expected ids from training/tokenizer.py (which follows Hugging Face's BERT pipeline); the two agree on all
// 15,521 Beauty and ML-1M titles.
describe.skipIf(!existsSync(path))('WordPiece (MiniLM tokenizer.json)', () => {
  const t = WordPieceTokenizer.parse(readFileSync(path));
  it('splits punctuation and sub-words, wraps in [CLS] … [SEP]', () => {
    expect(t.encode('OPI Nail Lacquer, Simmer and Shimmer, 0.5-Fluid Ounce')).toEqual([
      101, 6728, 2072, 13774, 18749, 4226, 2099, 1010, 21934, 5017, 1998, 11895, 15810, 1010, 1014, 1012, 1019, 1011,
      8331, 19471, 102,
    ]);
  });
  it('strips accents, lowercases and isolates CJK characters', () => {
    expect(t.encode('Café naïve 東京')).toEqual([101, 7668, 15743, 1879, 1755, 102]);
    expect(t.encode('unaffable xyzzyq')).toEqual([101, 14477, 20961, 3468, 1060, 2100, 28753, 4160, 102]);
  });
  it('truncates to maxLength including the special tokens', () => {
    const short = WordPieceTokenizer.parse(readFileSync(path), 5);
    expect(short.encode('a b c d e f')).toHaveLength(5);
  });
});

describe('WordPiece tokenizer.json checks', () => {
  it('rejects what is not a WordPiece tokenizer with MODEL_CORRUPT', () => {
    for (const bad of ['not json', '{"model": {"type": "BPE", "vocab": {}}}', '{"model": {"type": "WordPiece", "vocab": {"a": 1}, "unk_token": "[UNK]"}}', new Uint8Array([0xff, 0xfe, 0x00])]) {
      let err: unknown;
      try {
        WordPieceTokenizer.parse(bad);
      } catch (e) {
        err = e;
      }
      expect(isLocalshelfError(err, 'MODEL_CORRUPT')).toBe(true);
    }
  });
});
