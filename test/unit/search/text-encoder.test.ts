/**
 * The text encoder in Node over the shipped Beauty text tower (onnxruntime-node): batching does not change a
 * vector, and each broken file gives its typed error.
 */
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readFileUrl } from '../../../eval/read-file-url';
import { isLocalshelfError } from '../../../src/errors';
import { openTextEncoder } from '../../../workers/search/text-encoder';

const dir = fileURLToPath(new URL('../../../public/models/beauty/text/', import.meta.url));
const folder = pathToFileURL(dir).href;
const open = (fetchFile = readFileUrl, batchSize?: number) =>
  openTextEncoder({ folder, dtype: 'q8', ort: ort as never, executionProvider: 'cpu', fetchFile, ...(batchSize ? { batchSize } : {}) });
/** The real files, with `name` answered by `body`. */
const replacing = (name: string, body: Uint8Array) => (url: string) => (url.endsWith(name) ? Promise.resolve(body) : readFileUrl(url));
const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (isLocalshelfError(e) ? e.code : `untyped: ${String(e)}`));

describe('text encoder', () => {
  it('gives each text the same vector whatever the batch and its padding', async () => {
    const titles = (JSON.parse(readFileSync(`${dir}../catalog.json`, 'utf8')).items as { title: string }[]).slice(0, 40).map((i) => i.title);
    const big = await open();
    const small = await open(readFileUrl, 3);
    expect(big.dim).toBe(64);
    const a = await big.embed(titles);
    const b = await small.embed(titles);
    const one = await big.embed([titles[7]!]);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5);
    for (let d = 0; d < 64; d++) expect(Math.abs(one[d]! - a[7 * 64 + d]!)).toBeLessThan(1e-5);
    expect(a.some((x) => x !== 0)).toBe(true);
    expect(await big.embed([])).toHaveLength(0);
    await Promise.all([big.dispose(), small.dispose()]);
  });

  it('names what is wrong: MODEL_FETCH for a missing file, MODEL_CORRUPT for a bad tokenizer or model', async () => {
    const bpe = new TextEncoder().encode(JSON.stringify({ model: { type: 'BPE', vocab: {}, merges: [] } }));
    const missing = (url: string) => (url.endsWith('tokenizer.json') ? Promise.reject(new Error('ENOENT')) : readFileUrl(url));
    expect(await codeOf(open(missing))).toBe('MODEL_FETCH');
    expect(await codeOf(open(replacing('tokenizer.json', bpe)))).toBe('MODEL_CORRUPT');
    expect(await codeOf(open(replacing('tokenizer_config.json', new TextEncoder().encode('{ nope'))))).toBe('MODEL_CORRUPT');
    expect(await codeOf(open(replacing('model_quantized.onnx', new TextEncoder().encode('not an onnx model'))))).toBe('MODEL_CORRUPT');
    // A missing tokenizer_config.json is fine: BERT's 512 applies.
    const noConfig = (url: string) => (url.endsWith('tokenizer_config.json') ? Promise.reject(new Error('404')) : readFileUrl(url));
    expect(await codeOf(open(noConfig))).toBe('resolved');
  });
});
