/**
 * Random adapters for tests and demos, until the training pipeline ships real ones. Seeded: the same seed gives
 * the same file.
 */
import { encodeAdapter, ITEM_BIAS, type AdapterExpectations, type EncodeAdapterInput } from '../../workers/adapters/format';

/** mulberry32: a small seeded PRNG returning floats in `[0, 1)`. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Tensors of a random adapter: every target's A and B (small values), plus `item_bias` when asked. */
export function randomAdapterInput(
  model: AdapterExpectations & { readonly baseModel: string },
  adapterVersion: number,
  random: () => number,
  options: { itemBias?: boolean; scale?: number } = {},
): EncodeAdapterInput {
  const scale = options.scale ?? 0.02;
  const fill = (n: number): Float32Array => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
  const r = model.lora.rank;
  const tensors = model.lora.targets.flatMap((t) => [
    { name: `lora.${t.name}.A`, dims: [r, t.in], data: fill(r * t.in) },
    { name: `lora.${t.name}.B`, dims: [t.out, r], data: fill(t.out * r) },
  ]);
  if (options.itemBias) tensors.push({ name: ITEM_BIAS, dims: [model.numItems], data: fill(model.numItems) });
  return { adapterVersion, baseModel: model.baseModel, rank: r, tensors };
}

/** Encoded random adapter bytes. */
export function randomAdapter(
  model: AdapterExpectations & { readonly baseModel: string },
  adapterVersion: number,
  random: () => number,
  options: { itemBias?: boolean; scale?: number } = {},
): Uint8Array<ArrayBuffer> {
  return encodeAdapter(randomAdapterInput(model, adapterVersion, random, options), model);
}
