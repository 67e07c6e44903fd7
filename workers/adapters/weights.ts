/**
 * What the encoder runs on: an adapter's tensors turned into one immutable snapshot of feeds (zeros for the LoRA
 * targets it leaves out) plus its per-item score bias. A swap replaces the snapshot, never mutates it, so a call
 * that read it keeps the weights it started with. Pure; the runtime's tensor type is injected.
 */
import { ITEM_BIAS, type ParsedAdapter } from './format';
import type { ItemTableUpdate } from './items';

/** What one encoder call uses: an immutable snapshot, replaced as a whole on a swap. */
export interface AdapterWeights<T> {
  /** Every LoRA input of the encoder: the adapter's tensors, zeros for the targets it does not cover. */
  readonly feeds: Readonly<Record<string, T>>;
  /** The per-item score bias as the file lays it out (base rows, then the update's new items), or `undefined`;
   * the engine's catalog view lays it on its own rows (workers/catalog-view.ts). */
  readonly bias?: Float32Array;
  /** The update's item-table part (replaced rows, new products, removed rows), if it has one. */
  readonly items?: ItemTableUpdate;
  /** Whether the adapter has LoRA tensors: the encoder must take the LoRA inputs; otherwise the engine runs the
   * graph without its LoRA branch. */
  readonly lora: boolean;
}

/** The snapshot of `adapter`: its LoRA tensors over `baseFeeds` (zeros), and `item_bias` when it has one. */
export function adapterWeights<T>(
  adapter: ParsedAdapter,
  baseFeeds: Readonly<Record<string, T>>,
  tensor: (data: Float32Array, dims: readonly number[]) => T,
): AdapterWeights<T> {
  const feeds: Record<string, T> = { ...baseFeeds };
  let bias: Float32Array | undefined;
  for (const [name, t] of adapter.tensors) {
    if (name === ITEM_BIAS) bias = t.data;
    else feeds[name] = tensor(t.data, t.dims);
  }
  return {
    feeds: Object.freeze(feeds),
    lora: [...adapter.tensors.keys()].some((name) => name.startsWith('lora.')),
    ...(bias ? { bias } : {}),
    ...(adapter.items ? { items: adapter.items } : {}),
  };
}
