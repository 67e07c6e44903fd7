/**
 * Writes a random adapter that fits a model, for demos and manual tests of the update channel.
 *
 *   npx tsx tools/random-adapter.ts --manifest public/models/beauty/manifest.json --version 1 --out a.lsad
 *       [--seed 1] [--item-bias]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { randomAdapter, seededRandom } from './lib/random-adapter';

const { values } = parseArgs({
  options: {
    manifest: { type: 'string' },
    version: { type: 'string', default: '1' },
    out: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'item-bias': { type: 'boolean', default: false },
  },
});
if (!values.manifest || !values.out) {
  console.error('usage: npx tsx tools/random-adapter.ts --manifest M --out FILE [--version N] [--seed S] [--item-bias]');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(values.manifest, 'utf8'));
const bytes = randomAdapter(
  { baseModel: manifest.sha256['encoder.int8.onnx'], lora: manifest.lora, numItems: manifest.numItems },
  Number(values.version),
  seededRandom(Number(values.seed)),
  { itemBias: values['item-bias'] },
);
writeFileSync(values.out, bytes);
console.log(`${values.out}: ${bytes.length} bytes, adapter version ${values.version}`);
