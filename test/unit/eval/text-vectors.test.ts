import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dequantizeRow, encodeItemMatrix, parseItemMatrix } from '../../../workers/engine/item-matrix';
import { openEncoder } from '../../../eval/run-model';
import { replaceRows, rowCosines, textVectors } from '../../../eval/text-vectors';
import type { WordPieceTokenizer } from '../../../workers/search/wordpiece';

const tower = fileURLToPath(new URL('./fixtures/tiny-model/text/onnx/model_quantized.onnx', import.meta.url));

describe('textVectors', () => {
  it('takes the attention-masked mean over each title, whatever the padding of its batch', async () => {
    const session = await openEncoder(tower, 1);
    // Fake tokenizer: one id per character code mod 16. Tiny tower: token t -> t/10 in every dim.
    const tokenizer = { encode: (t: string) => Array.from(t, (c) => c.charCodeAt(0) % 16) } as unknown as WordPieceTokenizer;
    const titles = ['a', 'abc', 'abcdefg', 'b'];
    const v = await textVectors(session, tokenizer, titles, 8, 3); // batches [a, abc, abcdefg] and [b]
    titles.forEach((t, k) => {
      const ids = tokenizer.encode(t);
      const mean = ids.reduce((a, b) => a + b, 0) / ids.length / 10;
      for (let d = 0; d < 8; d++) expect(v[k * 8 + d]).toBeCloseTo(mean, 6);
    });
  });
});

describe('replaceRows / rowCosines', () => {
  const m = parseItemMatrix(encodeItemMatrix(Float32Array.from({ length: 12 }, (_, i) => i - 5), 4, 3));
  it('replaces only the named rows, quantized, leaving the input intact', () => {
    const out = replaceRows(m, [2], Float32Array.of(1, -2, 4));
    const step = 4 / 127; // int8 quantization step of this row
    Array.from(dequantizeRow(out, 2)).forEach((x, j) => expect(Math.abs(x - [1, -2, 4][j]!)).toBeLessThanOrEqual(step / 2));
    expect(Array.from(dequantizeRow(out, 1))).toEqual(Array.from(dequantizeRow(m, 1)));
    expect(Array.from(dequantizeRow(m, 2))).not.toEqual(Array.from(dequantizeRow(out, 2)));
  });
  it('gives 1 for the same direction and -1 for the opposite', () => {
    const row1 = dequantizeRow(m, 1);
    const c = rowCosines(Float32Array.from([...row1.map((x) => 2 * x), ...row1.map((x) => -x)]), m, [1, 1]);
    expect(c[0]).toBeCloseTo(1, 9);
    expect(c[1]).toBeCloseTo(-1, 9);
  });
});
