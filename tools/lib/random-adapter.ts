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

/** What {@link randomAdapterInput} puts in: the bias, the LoRA scale, and an item-table update (format version 2). */
export interface RandomAdapterOptions {
  itemBias?: boolean;
  scale?: number;
  /** Replaced rows, new products and removed rows (needs `model.dim` and `model.baseItems`). */
  items?: { rows: number; newItems: number; removed?: number };
}

/**
 * Tensors of a random adapter: every target's A and B (small values), plus `item_bias` when asked, plus an
 * item-table update when asked (distinct sorted rows, int8 values, positive scales, new products `new-<v>-<j>`).
 */
export function randomAdapterInput(
  model: AdapterExpectations & { readonly baseModel: string },
  adapterVersion: number,
  random: () => number,
  options: RandomAdapterOptions = {},
): EncodeAdapterInput {
  const scale = options.scale ?? 0.02;
  const fill = (n: number): Float32Array => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
  const r = model.lora.rank;
  const tensors = model.lora.targets.flatMap((t) => [
    { name: `lora.${t.name}.A`, dims: [r, t.in], data: fill(r * t.in) },
    { name: `lora.${t.name}.B`, dims: [t.out, r], data: fill(t.out * r) },
  ]);
  const items = options.items;
  const extra = items?.newItems ?? 0;
  const out: EncodeAdapterInput['tensors'][number][] = [...tensors];
  let header: Pick<EncodeAdapterInput, 'baseItems' | 'newItems'> = {};
  if (items) {
    const dim = model.dim;
    if (dim === undefined || model.baseItems === undefined) throw new Error('an item-table update needs model.dim and model.baseItems');
    const picked = pick(model.numItems, items.rows + (items.removed ?? 0), random);
    const rows = picked.slice(0, items.rows).sort((a, b) => a - b);
    const removed = picked.slice(items.rows).sort((a, b) => a - b);
    const count = rows.length + extra;
    if (rows.length) out.push({ name: 'items.rows', dims: [rows.length], data: Int32Array.from(rows) });
    if (count) {
      out.push({ name: 'items.q', dims: [count, dim], data: Int8Array.from({ length: count * dim }, () => Math.floor(random() * 255) - 127) });
      out.push({ name: 'items.scale', dims: [count], data: Float32Array.from({ length: count }, () => 0.001 + random() * 0.05) });
    }
    if (removed.length) out.push({ name: 'items.removed', dims: [removed.length], data: Int32Array.from(removed) });
    header = {
      baseItems: model.baseItems,
      newItems: Array.from({ length: extra }, (_, j) => ({ id: `new-${adapterVersion}-${j}`, title: `New product ${adapterVersion}.${j}`, popularity: j })),
    };
  }
  if (options.itemBias) out.push({ name: ITEM_BIAS, dims: [model.numItems + extra], data: fill(model.numItems + extra) });
  return { adapterVersion, baseModel: model.baseModel, rank: r, tensors: out, ...header };
}

/** `k` distinct integers of `0 .. n-1` (partial Fisher-Yates). */
function pick(n: number, k: number, random: () => number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < Math.min(k, n); i++) {
    const j = i + Math.floor(random() * (n - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, Math.min(k, n));
}

/** Encoded random adapter bytes. */
export function randomAdapter(
  model: AdapterExpectations & { readonly baseModel: string },
  adapterVersion: number,
  random: () => number,
  options: RandomAdapterOptions = {},
): Uint8Array<ArrayBuffer> {
  return encodeAdapter(randomAdapterInput(model, adapterVersion, random, options), model);
}
