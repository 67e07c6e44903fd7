/**
 * A synthetic model folder for the large-catalog figures: the Beauty encoder and manifest with an item matrix
 * of `rows` random vectors (LSIM, written with the engine's own `encodeItemMatrix`) and a catalog.json of as
 * many synthetic products; sha256 recomputed for every file, since the loader checks them. The text tower is
 * left out (search over random vectors would mean nothing), so the engine opens lexical search only.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeItemMatrix } from '../workers/engine/item-matrix';
import type { Manifest } from '../workers/runtime/load-model';
import { seededRandom } from '../tools/lib/random-adapter';
import { sha256 } from '../tools/lib/sign-metadata';

export const WORDS = 'serum cream lotion balm polish lacquer mask scrub cleanser toner shampoo conditioner gel oil mist powder brush palette liner gloss'.split(' ');
export const KINDS = 'matte glossy repair daily night hydrating gentle intense classic travel'.split(' ');

export interface SyntheticModel {
  folder: string;
  rows: number;
  /** Catalog ids, in row order. */
  ids: string[];
}

/** Writes `<folder>/{manifest.json, encoder, items.lsim, catalog.json}` with `rows` items. */
export function writeSyntheticModel(source: string, folder: string, rows: number, seed = 7): SyntheticModel {
  mkdirSync(folder, { recursive: true });
  const base = JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8')) as Manifest & { text?: unknown };
  const dim = base.dim;
  const random = seededRandom(seed);
  // Gaussian vectors (Box-Muller): the scoring cost does not depend on the values, only on rows × dim.
  const vectors = new Float32Array(rows * dim);
  for (let i = 0; i < vectors.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const t = 2 * Math.PI * random();
    vectors[i] = r * Math.cos(t);
    if (i + 1 < vectors.length) vectors[i + 1] = r * Math.sin(t);
  }
  const items = new Uint8Array(encodeItemMatrix(vectors, rows, dim));
  const ids = Array.from({ length: rows }, (_, i) => `SYN${String(i).padStart(7, '0')}`);
  const catalog = new TextEncoder().encode(
    JSON.stringify({
      items: ids.map((id, i) => ({
        id,
        title: `${KINDS[Math.floor(random() * KINDS.length)]} ${WORDS[Math.floor(random() * WORDS.length)]} ${WORDS[Math.floor(random() * WORDS.length)]} no. ${i}`,
        popularity: Math.floor(random() * 100),
      })),
    }),
  );
  const encoder = readFileSync(join(source, base.files.encoder));
  copyFileSync(join(source, base.files.encoder), join(folder, 'encoder.int8.onnx'));
  // the LoRA-free graph too, when the source has it: the engine runs that one (docs/artifacts.md)
  const encoderBase = base.files.encoderBase ? readFileSync(join(source, base.files.encoderBase)) : undefined;
  if (encoderBase) writeFileSync(join(folder, 'encoder.base.int8.onnx'), encoderBase);
  writeFileSync(join(folder, 'items.lsim'), items);
  writeFileSync(join(folder, 'catalog.json'), catalog);
  const { text: _text, ...rest } = base;
  void _text;
  const manifest: Manifest = {
    ...rest,
    name: `synthetic-${rows}`,
    numItems: rows,
    files: { encoder: 'encoder.int8.onnx', ...(encoderBase ? { encoderBase: 'encoder.base.int8.onnx' } : {}), items: 'items.lsim', catalog: 'catalog.json' },
    sha256: {
      'encoder.int8.onnx': sha256(encoder),
      ...(encoderBase ? { 'encoder.base.int8.onnx': sha256(encoderBase) } : {}),
      'items.lsim': sha256(items),
      'catalog.json': sha256(catalog),
    },
    attribution: 'synthetic: random item vectors and product names (bench/synthetic-model.ts); encoder from the Beauty model',
  };
  writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return { folder, rows, ids };
}
