/**
 * The engine's own encoder against onnxruntime-node on the shipped Beauty graphs, on a deeper encoder exported the
 * way a large store's model is (4 blocks, 2 heads: fixtures/make_deep_encoder.py) and on a format-1 encoder (no
 * distance tables: fixtures/format1-encoder, the Beauty encoder shipped before them): the same user vectors (to float32
 * rounding) and the same top-10 over the whole item matrix, for histories shorter and longer than maxLen, every
 * event type, with and without LoRA; and the typed refusals (no description, broken bytes, a LoRA pair of the
 * wrong shape).
 */
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isLocalshelfError } from '../../../src/errors';
import { buildEncoderInput, ENCODER_OUTPUT, type EventTypeId, type HistoryEvent } from '../../../workers/engine/encoder-input';
import { EncoderUnsupported, SasrecEncoder } from '../../../workers/engine/encoder/sasrec';
import { protobufFieldRanges, readOnnxWeights } from '../../../workers/engine/encoder/onnx-weights';
import { parseItemMatrix, type ItemMatrix } from '../../../workers/engine/item-matrix';
import { scoreAll, topK } from '../../../workers/engine/score';
import { WASM_GRAPH_OPTIMIZATION } from '../../../workers/runtime/backend';

/** The engine's onnxruntime setting (workers/runtime/backend.ts): with its optimisers on, onnxruntime runs the int8
 * weights with dynamically quantized activations, a different function (~1e-2 apart). */
const ENGINE_SESSION = { graphOptimizationLevel: WASM_GRAPH_OPTIMIZATION } as const;

interface Model {
  name: string;
  manifest: { maxLen: number; files: { encoder: string; encoderBase: string }; lora: { rank: number; targets: { name: string; in: number; out: number }[] } };
  baseBytes: Uint8Array;
  fullBytes: Uint8Array;
  matrix: ItemMatrix;
}

function loadModel(name: string, folder: URL): Model {
  const manifest = JSON.parse(readFileSync(new URL('manifest.json', folder), 'utf8')) as Model['manifest'];
  return {
    name,
    manifest,
    baseBytes: new Uint8Array(readFileSync(new URL(manifest.files.encoderBase, folder))),
    fullBytes: new Uint8Array(readFileSync(new URL(manifest.files.encoder, folder))),
    matrix: parseItemMatrix(readFileSync(new URL('items.lsim', folder))),
  };
}

const beauty = loadModel('the shipped Beauty model (2 blocks, 1 head, width 64)', new URL('../../../public/models/beauty/', import.meta.url));
/** Seeded random weights through the store's export path: 4 blocks, 2 heads, width 32, FFN 48 (fixtures/make_deep_encoder.py). */
const deep = loadModel('a deeper encoder (4 blocks, 2 heads, width 32)', new URL('./fixtures/deep-encoder/', import.meta.url));
const { manifest, baseBytes, fullBytes, matrix } = beauty;

/** A seeded generator (mulberry32), so a failure names a history that can be run again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function histories(m: Model, count: number, seed: number): HistoryEvent[][] {
  const rnd = random(seed);
  const { maxLen } = m.manifest;
  return Array.from({ length: count }, (_, i) => {
    const n = i < 3 ? [1, maxLen, maxLen + 7][i]! : 1 + Math.floor(rnd() * (maxLen + 10));
    return Array.from({ length: n }, () => ({ row: Math.floor(rnd() * m.matrix.rows), type: (1 + Math.floor(rnd() * 4)) as EventTypeId }));
  });
}

async function reference(m: Model, session: ort.InferenceSession, history: HistoryEvent[], extra: Record<string, ort.Tensor> = {}): Promise<Float32Array> {
  const input = buildEncoderInput(m.matrix, history, m.manifest.maxLen);
  const out = await session.run({
    ...extra,
    item_vectors: new ort.Tensor('float32', input.itemVectors, [...input.itemVectorsDims]),
    event_types: new ort.Tensor('int64', input.eventTypes, [...input.eventTypesDims]),
  });
  return out[ENCODER_OUTPUT]!.data as Float32Array;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function top10(m: Model, user: Float32Array): number[] {
  return [...topK(scoreAll(m.matrix, user), 10).rows];
}

async function compare(m: Model, own: SasrecEncoder, session: ort.InferenceSession, hs: HistoryEvent[][], extra?: Record<string, ort.Tensor>): Promise<{ diff: number; sameTop10: number }> {
  let diff = 0;
  let sameTop10 = 0;
  for (const h of hs) {
    const want = await reference(m, session, h, extra);
    const got = own.encode(m.matrix, h);
    diff = Math.max(diff, maxDiff(got, want));
    const a = top10(m, got);
    const b = top10(m, want);
    if (a.every((r, i) => r === b[i])) sameTop10++;
  }
  return { diff, sameTop10 };
}

describe.each([beauty, deep])('SasrecEncoder (own WebAssembly encoder) on $name', (m) => {
  it('gives onnxruntime-node’s user vectors and top-10 on the LoRA-free graph', async () => {
    const own = SasrecEncoder.fromOnnx(m.baseBytes);
    expect([own.dim, own.maxLen]).toEqual([m.matrix.dim, m.manifest.maxLen]);
    const session = await ort.InferenceSession.create(m.baseBytes, ENGINE_SESSION);
    const hs = histories(m, 120, 1);
    const { diff, sameTop10 } = await compare(m, own, session, hs);
    expect(diff).toBeLessThan(1e-5);
    // a near tie at rank 10 may swap with rounding; nearly every list must be identical
    expect(sameTop10).toBeGreaterThanOrEqual(hs.length - 2);
  });

  it('folds LoRA into its weights as the full graph adds its LoRA term, and unfolds it', async () => {
    const own = SasrecEncoder.fromOnnx(m.baseBytes);
    const session = await ort.InferenceSession.create(m.fullBytes, ENGINE_SESSION);
    const rnd = random(7);
    const { rank, targets } = m.manifest.lora;
    const pairs = new Map(
      targets.map((t) => [
        t.name,
        {
          rank,
          a: Float32Array.from({ length: rank * t.in }, () => (rnd() - 0.5) * 0.2),
          b: Float32Array.from({ length: t.out * rank }, () => (rnd() - 0.5) * 0.2),
        },
      ]),
    );
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of targets) {
      const p = pairs.get(t.name)!;
      feeds[`lora.${t.name}.A`] = new ort.Tensor('float32', p.a, [rank, t.in]);
      feeds[`lora.${t.name}.B`] = new ort.Tensor('float32', p.b, [t.out, rank]);
    }
    expect(new Set(own.loraTargets)).toEqual(new Set(targets.map((t) => t.name)));
    const hs = histories(m, 40, 2);
    const before = own.encode(m.matrix, hs[5]!);
    own.setLora((name) => pairs.get(name));
    const withLora = await compare(m, own, session, hs, feeds);
    expect(withLora.diff).toBeLessThan(1e-5);
    expect(withLora.sameTop10).toBeGreaterThanOrEqual(hs.length - 1);
    expect(maxDiff(own.encode(m.matrix, hs[5]!), before)).toBeGreaterThan(1e-3); // LoRA changed something
    own.setLora(undefined);
    expect(own.encode(m.matrix, hs[5]!)).toEqual(before); // base weights restored exactly
  });
});

describe('SasrecEncoder (own WebAssembly encoder)', () => {
  it('refuses what it cannot run, with a reason, and leaves its weights alone on a bad LoRA pair', () => {
    // the full graph carries no description (its LoRA branch is the graph's): onnxruntime runs it
    expect(() => SasrecEncoder.fromOnnx(fullBytes)).toThrow(EncoderUnsupported);
    expect(() => SasrecEncoder.fromOnnx(new Uint8Array([0x3a, 0x05, 1, 2]))).toThrow(EncoderUnsupported);
    expect(() => SasrecEncoder.fromOnnx(baseBytes.subarray(0, 5000))).toThrow(EncoderUnsupported);
    const own = SasrecEncoder.fromOnnx(baseBytes);
    const h = histories(beauty, 1, 3)[0]!;
    const before = own.encode(matrix, h);
    let error: unknown;
    try {
      own.setLora((name) => (name === 'block1.ffn.fc2' ? { rank: 8, a: new Float32Array(8), b: new Float32Array(8) } : undefined));
    } catch (e) {
      error = e;
    }
    expect(isLocalshelfError(error) && error.code).toBe('INVALID_ARGUMENT');
    expect(own.encode(matrix, h)).toEqual(before);
    expect(() => own.encode(matrix, [])).toThrow(/at least one event/);
    expect(() => own.encode(matrix, [{ row: matrix.rows, type: 1 }])).toThrow();
  });

  it('runs a format-1 encoder (no distance tables) as onnxruntime does', async () => {
    // fixtures/format1-encoder: the Beauty encoder shipped before rel_pos (2026-12-07), kept as it was exported, so
    // a store's model exported before format 2 keeps loading on the own encoder (zero distance tables)
    const bytes = new Uint8Array(readFileSync(new URL('./fixtures/format1-encoder/encoder.base.int8.onnx', import.meta.url)));
    const spec = JSON.parse(readOnnxWeights(bytes).metadata.get('localshelf.encoder')!) as { format: string; blocks: { rel?: string }[] };
    expect(spec.format).toBe('localshelf-sasrec/1');
    expect(spec.blocks.every((b) => b.rel === undefined)).toBe(true);
    const old = { ...beauty, baseBytes: bytes };
    const session = await ort.InferenceSession.create(bytes, ENGINE_SESSION);
    const hs = histories(old, 60, 3);
    const { diff, sameTop10 } = await compare(old, SasrecEncoder.fromOnnx(bytes), session, hs);
    expect(diff).toBeLessThan(1e-5);
    expect(sameTop10).toBeGreaterThanOrEqual(hs.length - 2);
  });

  it('reads the description the export wrote', () => {
    const { metadata, initializers } = readOnnxWeights(baseBytes);
    const spec = JSON.parse(metadata.get('localshelf.encoder')!) as { format: string; blocks: unknown[]; heads: number };
    expect(spec.blocks.length).toBe(2);
    expect(spec.heads).toBe(1);
    expect(spec.format).toBe('localshelf-sasrec/2');
    for (const b of spec.blocks as { rel?: string }[]) expect(initializers.get(b.rel!)!.dims).toEqual([manifest.maxLen]);
    expect(initializers.get('enc.pos')!.dims).toEqual([manifest.maxLen, 64]);
    // the field ranges tile the file, and the description is one metadata field (14) among them
    const ranges = protobufFieldRanges(baseBytes);
    ranges.forEach(([, a], i) => expect(a).toBe(i === 0 ? 0 : ranges[i - 1]![2]));
    expect(ranges.at(-1)![2]).toBe(baseBytes.length);
    expect(ranges.filter(([f]) => f === 14)).toHaveLength(1);
    // the deeper fixture is what its name says (so the tests above run 4 blocks, 2 heads and the distance bias)
    const deepRead = readOnnxWeights(deep.baseBytes);
    const deepSpec = JSON.parse(deepRead.metadata.get('localshelf.encoder')!) as { format: string; blocks: { rel?: string }[]; heads: number; dim: number; ffnDim: number };
    expect([deepSpec.blocks.length, deepSpec.heads, deepSpec.dim, deepSpec.ffnDim]).toEqual([4, 2, 32, 48]);
    expect(deepSpec.format).toBe('localshelf-sasrec/2');
    const rels = deepSpec.blocks.map((b) => deepRead.initializers.get(b.rel!)!.values as Float32Array);
    expect(new Set(deepSpec.blocks.map((b) => b.rel)).size).toBe(4);
    for (const r of rels) expect(r.length === deep.manifest.maxLen && r.some((x) => Math.abs(x) > 0.5)).toBe(true);
    expect(deep.manifest.lora.targets).toHaveLength(4 * 6);
  });
});
