/**
 * Where the encoder's time goes, in a dedicated module worker (the kind of context the engine runs in), with the
 * engine's own modules and settings (onnxruntime-web/wasm, graph optimisation off, one thread) on the shipped
 * Beauty model: building the inputs, creating the tensors (2 inputs + 24 zero LoRA feeds), `session.run` with
 * fresh tensors (what the engine does) and with the same tensor objects every call, reading the output, and the
 * whole encode as the engine runs it. Also the run with 1, 10 and 50 history events (the graph is fixed at
 * maxLen positions, padding included). Beside them, the library's own encoder (workers/engine/encoder/) on the
 * LoRA-free graph with the same histories. `npm run bench:encoder` (bench/encoder.ts).
 */
import { expose } from 'comlink';
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { buildEncoderInput, createEncoderInputBuffers, ENCODER_INPUTS, ENCODER_OUTPUT, type HistoryEvent } from '../../workers/engine/encoder-input';
import { SasrecEncoder } from '../../workers/engine/encoder/sasrec';
import { parseItemMatrix } from '../../workers/engine/item-matrix';
import { WASM_GRAPH_OPTIMIZATION } from '../../workers/runtime/backend';

export interface PhaseTiming {
  phase: string;
  /** ms per call, one value per sample (each sample times `reps` back-to-back calls and divides: the worker's
   * clock has a 0.1 ms grain without cross-origin isolation). */
  samples: number[];
  reps: number;
}

/** The model folder's manifest and item matrix, and onnxruntime-web/wasm set up as the engine does (1 thread). */
async function openModel(base: string) {
  const get = async (f: string) => new Uint8Array(await (await fetch(new URL(f, base))).arrayBuffer());
  const manifest = JSON.parse(new TextDecoder().decode(await get('manifest.json'))) as { maxLen: number; dim: number; lora: { rank: number; targets: { name: string; in: number; out: number }[] } };
  const matrix = parseItemMatrix(await get('items.lsim'));
  const ort = (await import('onnxruntime-web/wasm')) as unknown as typeof import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  return { get, manifest, matrix, ort };
}

type Ort = typeof import('onnxruntime-web');
type LoraSpec = { rank: number; targets: { name: string; in: number; out: number }[] };

/** Zero LoRA feeds for every target (A `[r, in]`, B `[out, r]`): the base model through the full graph. */
function zeroLora(ort: Ort, lora: LoraSpec): Record<string, Tensor> {
  const r = lora.rank;
  const out: Record<string, Tensor> = {};
  for (const t of lora.targets) {
    out[`lora.${t.name}.A`] = new ort.Tensor('float32', new Float32Array(r * t.in), [r, t.in]);
    out[`lora.${t.name}.B`] = new ort.Tensor('float32', new Float32Array(t.out * r), [t.out, r]);
  }
  return out;
}

async function measure(base: string, calls: number, warmup: number): Promise<{ phases: PhaseTiming[]; loraInputs: number; maxLen: number; dim: number }> {
  const { get, manifest, matrix, ort } = await openModel(base);
  const session: InferenceSession = await ort.InferenceSession.create(await get('encoder.int8.onnx'), { executionProviders: ['wasm'], graphOptimizationLevel: WASM_GRAPH_OPTIMIZATION, logSeverityLevel: 3 });
  const { maxLen, dim } = manifest;
  const lora = (): Record<string, Tensor> => zeroLora(ort, manifest.lora);
  const loraFeeds = lora(); // the engine keeps these for the worker's life
  const buffers = createEncoderInputBuffers(1, maxLen, dim);
  const history = (n: number): HistoryEvent[] => Array.from({ length: n }, (_, i) => ({ row: (i * 7919) % matrix.rows, type: 1 as const }));
  const h10 = history(10);
  const feedsOf = (h: HistoryEvent[]): InferenceSession.FeedsType => {
    const input = buildEncoderInput(matrix, h, maxLen, buffers);
    return {
      ...loraFeeds,
      [ENCODER_INPUTS.itemVectors]: new ort.Tensor('float32', input.itemVectors, [...input.itemVectorsDims]),
      [ENCODER_INPUTS.eventTypes]: new ort.Tensor('int64', input.eventTypes, [...input.eventTypesDims]),
    };
  };
  const fixed = feedsOf(h10);
  const own = SasrecEncoder.fromOnnx(await get('encoder.base.int8.onnx'));
  const h1 = history(1);
  const h50 = history(50);
  const phases: [string, number, () => Promise<unknown> | unknown][] = [
    ['build the inputs (buildEncoderInput, 10 events)', 500, () => buildEncoderInput(matrix, h10, maxLen, buffers)],
    ['build the inputs and create the 2 input tensors', 500, () => feedsOf(h10)],
    ['create 24 fresh LoRA zero tensors (the engine keeps one set instead)', 500, () => lora()],
    ['session.run, same feed objects every call', 10, () => session.run(fixed)],
    ['session.run + read user_vector (getData)', 10, async () => (await session.run(fixed))[ENCODER_OUTPUT]!.getData()],
    ['the whole encode as the engine runs it (inputs, tensors, run, read), 10 events', 10, async () => (await session.run(feedsOf(h10)))[ENCODER_OUTPUT]!.getData()],
    ['the whole encode, 1 event', 10, async () => (await session.run(feedsOf(history(1))))[ENCODER_OUTPUT]!.getData()],
    ['the whole encode, 50 events', 10, async () => (await session.run(feedsOf(history(50))))[ENCODER_OUTPUT]!.getData()],
    ['own encoder (localshelf WebAssembly SIMD), 1 event', 500, () => own.encode(matrix, h1)],
    ['own encoder, 10 events', 100, () => own.encode(matrix, h10)],
    ['own encoder, 50 events', 20, () => own.encode(matrix, h50)],
  ];
  const out: PhaseTiming[] = phases.map(([phase, reps]) => ({ phase, samples: [], reps }));
  for (let i = 0; i < warmup; i++) for (const [, , fn] of phases) await fn();
  // interleaved: every phase sees the same machine load
  for (let i = 0; i < calls; i++) {
    for (let p = 0; p < phases.length; p++) {
      const [, reps, fn] = phases[p]!;
      const t0 = performance.now();
      for (let k = 0; k < reps; k++) await fn();
      out[p]!.samples.push((performance.now() - t0) / reps);
    }
  }
  await session.release();
  return { phases: out, loraInputs: Object.keys(loraFeeds).length, maxLen, dim };
}

export interface VariantTiming {
  graph: 'full' | 'no-lora';
  optimization: 'disabled' | 'basic' | 'all';
  /** `InferenceSession.create`, ms. */
  createMs: number;
  /** `session.run` + reading the output, ms per call, one value per sample of `reps` calls. */
  samples: number[];
  reps: number;
  /** Largest |difference| of user_vector against the full graph without optimisation (the engine's). */
  maxAbsDiff: number;
}

/**
 * The same encode on graph variants: the shipped graph, and `noLoraUrl` (training/strip_lora.py: the LoRA
 * branch removed, what runs while no adapter is active), each with onnxruntime's graph optimisation
 * disabled (the engine's setting), basic (constant folding, redundant nodes) and all.
 */
async function variants(base: string, noLoraUrl: string, samples: number, reps: number): Promise<VariantTiming[]> {
  const { get, manifest, matrix, ort } = await openModel(base);
  const graphs = { full: await get('encoder.int8.onnx'), 'no-lora': await get(noLoraUrl) } as const;
  const input = buildEncoderInput(matrix, Array.from({ length: 10 }, (_, i) => ({ row: (i * 7919) % matrix.rows, type: 1 as const })), manifest.maxLen);
  const inputs = {
    [ENCODER_INPUTS.itemVectors]: new ort.Tensor('float32', input.itemVectors, [...input.itemVectorsDims]),
    [ENCODER_INPUTS.eventTypes]: new ort.Tensor('int64', input.eventTypes, [...input.eventTypesDims]),
  };
  const loraFeeds = zeroLora(ort, manifest.lora);
  const out: VariantTiming[] = [];
  let reference: Float32Array | undefined;
  for (const graph of ['full', 'no-lora'] as const) {
    for (const optimization of ['disabled', 'basic', 'all'] as const) {
      const t0 = performance.now();
      const session = await ort.InferenceSession.create(graphs[graph], { executionProviders: ['wasm'], graphOptimizationLevel: optimization, logSeverityLevel: 3 });
      const createMs = performance.now() - t0;
      const feeds = graph === 'full' ? { ...loraFeeds, ...inputs } : inputs;
      const run = async () => (await session.run(feeds))[ENCODER_OUTPUT]!.getData() as Promise<Float32Array>;
      const first = await run();
      reference ??= first;
      let maxAbsDiff = 0;
      for (let j = 0; j < first.length; j++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(first[j]! - reference[j]!));
      for (let i = 0; i < 20; i++) await run();
      const timing: VariantTiming = { graph, optimization, createMs, samples: [], reps, maxAbsDiff };
      for (let s = 0; s < samples; s++) {
        const t1 = performance.now();
        for (let k = 0; k < reps; k++) await run();
        timing.samples.push((performance.now() - t1) / reps);
      }
      out.push(timing);
      await session.release();
    }
  }
  return out;
}

export type EncoderApi = { measure: typeof measure; variants: typeof variants };
expose({ measure, variants });
