// The browser's view of an exported text tower: the worker's own text encoder (WordPiece tokenizer + the ONNX
// tower, mean pooling over the attention mask) on <modelDir>/text, run on onnxruntime-node, and the tokenizer's ids.
//   npx tsx training/tools/browser_text.ts <modelDir> <titles.json> <out.json>
// out.json: { "ids": [[...], ...] (every title), "vectors": [[...], ...] (the first 64 titles) }
import * as ort from 'onnxruntime-node';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileUrl } from '../../eval/read-file-url';
import { openTextEncoder } from '../../workers/search/text-encoder';
import { WordPieceTokenizer } from '../../workers/search/wordpiece';

const [modelDir, titlesPath, outPath] = process.argv.slice(2) as [string, string, string];
const folder = pathToFileURL(`${resolve(modelDir, 'text')}/`).href;
const titles = JSON.parse(readFileSync(titlesPath, 'utf8')) as string[];
const config = JSON.parse(readFileSync(resolve(modelDir, 'text', 'tokenizer_config.json'), 'utf8')) as { model_max_length: number };
const tok = WordPieceTokenizer.parse(readFileSync(resolve(modelDir, 'text', 'tokenizer.json')), config.model_max_length);
const ids = titles.map((t) => tok.encode(t));
const encoder = await openTextEncoder({ folder, dtype: 'q8', ort: ort as never, executionProvider: 'cpu', fetchFile: readFileUrl });
const few = titles.slice(0, 64);
const data = await encoder.embed(few);
const vectors = few.map((_, i) => Array.from(data.subarray(i * encoder.dim, (i + 1) * encoder.dim)));
writeFileSync(outPath, JSON.stringify({ ids, vectors }));
