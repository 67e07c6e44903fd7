// The browser's view of an exported text tower: transformers.js feature-extraction (pooling 'mean') on
// <modelDir>/text, and the tokenizer's ids.
//   node training/tools/tjs_text.mjs <modelDir> <titles.json> <out.json>
// out.json: { "ids": [[...], ...] (every title), "vectors": [[...], ...] (the first 64 titles) }
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const entry = require.resolve('@huggingface/transformers', { paths: [root] });
const { AutoTokenizer, pipeline, env } = await import(entry);

const [modelDir, titlesPath, outPath] = process.argv.slice(2);
env.allowRemoteModels = false;
env.localModelPath = path.resolve(modelDir) + '/';
const titles = JSON.parse(fs.readFileSync(titlesPath, 'utf8'));
const tok = await AutoTokenizer.from_pretrained('text');
const ids = titles.map((t) => Array.from(tok(t, { truncation: true }).input_ids.data, Number));
const fe = await pipeline('feature-extraction', 'text', { dtype: 'q8' });
const few = titles.slice(0, 64);
const out = await fe(few, { pooling: 'mean', normalize: false });
const dim = out.dims[1];
const vectors = few.map((_, i) => Array.from(out.data.slice(i * dim, (i + 1) * dim)));
fs.writeFileSync(outPath, JSON.stringify({ ids, vectors }));
