/**
 * Picks the backend and opens the onnxruntime session: WebGPU on a real adapter, then WASM, one at a time,
 * recording why a backend was skipped. Never a silent fallback. WebGPU needs onnxruntime-web's JSEP build, which
 * only the `localshelf/webgpu` worker carries (it passes {@link OpenSessionOptions.webgpu}); the default worker is
 * WASM-only, so an app that does not ask for WebGPU never emits or downloads that build (28 MB of wasm).
 */
import type { InferenceSession } from 'onnxruntime-web';
import { LocalshelfError } from '../../src/errors';
import type { BackendPreference, RuntimePreference } from '../../src/options';
import type { BackendInfo } from '../../src/protocol';
import { EncoderUnsupported, type SasrecEncoder } from '../engine/encoder/sasrec';

export type Ort = typeof import('onnxruntime-web');

export interface OpenedSession {
  ort: Ort;
  session: InferenceSession;
  info: BackendInfo;
  /** The GPU device on the WebGPU path: its `lost` promise tells the engine to move to WASM. */
  device?: GPUDevice;
}

export interface OpenSessionOptions {
  preference: BackendPreference;
  model: Uint8Array;
  wasmPaths?: string;
  threads?: number;
  /** Loads onnxruntime-web with WebGPU (the JSEP build); absent in the WASM-only worker. */
  webgpu?: () => Promise<Ort>;
  /** Appended to the WASM backend's reason (why the library's own encoder does not run). */
  note?: string;
}

/** The encoder the engine runs: the library's own (`own`), or an onnxruntime session (`opened`). */
export type OpenedEncoder = { own: SasrecEncoder; info: BackendInfo; opened?: undefined } | { own?: undefined; opened: OpenedSession; info: BackendInfo };

/**
 * Opens the encoder: onnxruntime-web on WebGPU when that backend is chosen (forced, or `'auto'` with a hardware
 * adapter in the WebGPU worker), else the library's own WebAssembly SIMD encoder (`own()`, which throws
 * {@link EncoderUnsupported} for a graph it does not run), else onnxruntime-web on WASM.
 * @throws LocalshelfError as {@link openSession}.
 */
export async function openEncoder(options: OpenSessionOptions & { runtime: RuntimePreference; own: () => SasrecEncoder }): Promise<OpenedEncoder> {
  if (options.runtime !== 'auto' || options.preference === 'webgpu') {
    const opened = await openSession(options);
    return { opened, info: opened.info };
  }
  const skipped: BackendInfo['skipped'] = [];
  let adapter: BackendInfo['adapter'];
  if (options.preference === 'auto' && options.webgpu) {
    const probe = await probeAdapter();
    if (probe.adapter && !probe.description?.isFallbackAdapter) {
      const opened = await openSession(options); // a hardware adapter: WebGPU, as without the own encoder
      return { opened, info: opened.info };
    }
    adapter = probe.description;
    skipped.push({ name: 'webgpu', reason: probe.reason ?? 'the WebGPU adapter is a software fallback (e.g. SwiftShader), slower than WASM; pass backend: "webgpu" to force it' });
  } else if (options.preference === 'auto') {
    skipped.push({ name: 'webgpu', reason: WASM_ONLY_REASON });
  }
  let own: SasrecEncoder;
  try {
    own = options.own();
  } catch (cause) {
    if (!(cause instanceof EncoderUnsupported)) throw cause;
    const opened = await openSession({ ...options, note: `onnxruntime-web runs it: ${cause.message}` });
    return { opened, info: opened.info };
  }
  const base = options.preference === 'wasm' ? 'forced by backend: "wasm"' : 'WebGPU skipped; WASM runs on every browser';
  const reason = `${base}; the library's own WebAssembly SIMD encoder, 1 thread (onnxruntime-web is not needed to recommend)`;
  return { own, info: { name: 'wasm', runtime: 'localshelf', threads: 1, reason, skipped, ...(adapter ? { adapter } : {}) } };
}

/** Why WebGPU is not tried in the default (WASM-only) worker. */
export const WASM_ONLY_REASON = 'this build is WASM-only: import createRecommender from "localshelf/webgpu" to use WebGPU';

interface AdapterProbe {
  adapter?: GPUAdapter;
  reason?: string;
  description?: BackendInfo['adapter'];
}

async function probeAdapter(): Promise<AdapterProbe> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { reason: 'navigator.gpu is not available in this browser or context' };
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (cause) {
    return { reason: `requestAdapter() failed: ${(cause as Error).message}` };
  }
  if (!adapter) return { reason: 'no WebGPU adapter (requestAdapter() returned null)' };
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
  const isFallbackAdapter = Boolean(info?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  return { adapter, description: { vendor: info?.vendor ?? '', architecture: info?.architecture ?? '', isFallbackAdapter } };
}

function wasmThreads(requested: number | undefined): number {
  if (!globalThis.crossOriginIsolated) return 1;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(requested ?? 4, cores));
}

/**
 * onnxruntime's graph optimisation for the encoder on WASM: none. Its optimisers (constant folding, fusions, the
 * QDQ rewrites that run int8 weights with dynamically quantized activations) are code that runs once per page load
 * and, on a cold WebAssembly module, is compiled first: on the 2-core bench machine, onnxruntime-web's start went
 * from 318 ms to 220 ms without them (two `npm run bench` runs) while recommend() did not get slower. Without them the int8 weights are
 * dequantized and the math is float32, as in the fp32 graph. The evaluator (eval/) uses the same setting.
 */
export const WASM_GRAPH_OPTIMIZATION = 'disabled' as const;

/** The encoder's session options on each backend (every session the engine opens uses these). */
function sessionOptions(backend: 'wasm' | 'webgpu'): InferenceSession.SessionOptions {
  return backend === 'webgpu'
    ? { executionProviders: ['webgpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 }
    : { executionProviders: ['wasm'], graphOptimizationLevel: WASM_GRAPH_OPTIMIZATION, logSeverityLevel: 3 };
}

/**
 * onnxruntime-web configured for this engine, no session yet: the WASM build, or the JSEP build when `webgpu` is
 * given. What search's text encoder runs on (the WASM build) when the history encoder is the library's own.
 */
export async function loadRuntime(options: Pick<OpenSessionOptions, 'wasmPaths' | 'threads' | 'webgpu'>): Promise<{ ort: Ort; threads: number }> {
  const ort = options.webgpu ? await options.webgpu() : ((await import('onnxruntime-web/wasm')) as unknown as Ort);
  const threads = wasmThreads(options.threads);
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  if (options.wasmPaths) ort.env.wasm.wasmPaths = options.wasmPaths;
  return { ort, threads };
}

async function openWasm(options: OpenSessionOptions): Promise<{ ort: Ort; session: InferenceSession; threads: number }> {
  const { ort, threads } = await loadRuntime({ ...options, webgpu: undefined });
  const session = await ort.InferenceSession.create(options.model, sessionOptions('wasm'));
  return { ort, session, threads };
}

async function openWebGpu(options: OpenSessionOptions, adapter: GPUAdapter): Promise<{ ort: Ort; session: InferenceSession; device: GPUDevice }> {
  const ort = await options.webgpu!();
  ort.env.wasm.numThreads = wasmThreads(options.threads);
  ort.env.wasm.proxy = false;
  if (options.wasmPaths) ort.env.wasm.wasmPaths = options.wasmPaths;
  (ort.env.webgpu as { adapter?: unknown }).adapter = adapter;
  const session = await ort.InferenceSession.create(options.model, sessionOptions('webgpu'));
  const device = (await ort.env.webgpu.device) as GPUDevice;
  return { ort, session, device };
}

/**
 * Another graph on the runtime and backend already open (the encoder with its LoRA inputs beside the LoRA-free
 * one the engine starts on), with the same session options.
 */
export function openSibling(opened: OpenedSession, model: Uint8Array): Promise<InferenceSession> {
  return opened.ort.InferenceSession.create(model, sessionOptions(opened.info.name));
}

/**
 * The encoder on WASM with the runtime already loaded (after the WebGPU device was lost): the JSEP build of
 * onnxruntime-web runs the CPU provider too, so no second runtime is downloaded.
 * @throws LocalshelfError `BACKEND_UNAVAILABLE`
 */
export async function reopenOnWasm(opened: OpenedSession, model: Uint8Array, why: string): Promise<OpenedSession> {
  try {
    const session = await opened.ort.InferenceSession.create(model, sessionOptions('wasm'));
    const threads = opened.ort.env.wasm.numThreads ?? 1;
    return {
      ort: opened.ort,
      session,
      info: { name: 'wasm', runtime: 'onnxruntime', threads, reason: why, skipped: [{ name: 'webgpu', reason: why }], ...(opened.info.adapter ? { adapter: opened.info.adapter } : {}) },
    };
  } catch (cause) {
    throw new LocalshelfError('BACKEND_UNAVAILABLE', `the WASM backend failed to start after the WebGPU device was lost: ${(cause as Error)?.message ?? cause}`, { cause });
  }
}

/**
 * Opens the encoder on the preferred backend.
 * @throws LocalshelfError `BACKEND_UNAVAILABLE` when no allowed backend can run; `MODEL_CORRUPT` when the
 * model itself is rejected by onnxruntime.
 */
export async function openSession(options: OpenSessionOptions): Promise<OpenedSession> {
  const skipped: BackendInfo['skipped'] = [];
  let adapterDescription: BackendInfo['adapter'];
  if (options.preference !== 'wasm' && !options.webgpu) {
    if (options.preference === 'webgpu') throw new LocalshelfError('BACKEND_UNAVAILABLE', `WebGPU was forced but ${WASM_ONLY_REASON}`);
    skipped.push({ name: 'webgpu', reason: WASM_ONLY_REASON });
  } else if (options.preference !== 'wasm') {
    const probe = await probeAdapter();
    adapterDescription = probe.description;
    const forced = options.preference === 'webgpu';
    let skipReason = probe.reason;
    if (probe.adapter && probe.description?.isFallbackAdapter && !forced) {
      skipReason = 'the WebGPU adapter is a software fallback (e.g. SwiftShader), slower than WASM; pass backend: "webgpu" to force it';
    }
    if (probe.adapter && !skipReason) {
      try {
        const { ort, session, device } = await openWebGpu(options, probe.adapter);
        const reason = forced ? 'forced by backend: "webgpu"' : 'a hardware WebGPU adapter is available';
        return { ort, session, device, info: { name: 'webgpu', runtime: 'onnxruntime', threads: 1, reason, skipped, adapter: adapterDescription } };
      } catch (cause) {
        if (forced) throw new LocalshelfError('BACKEND_UNAVAILABLE', `WebGPU was forced but failed: ${(cause as Error).message}`, { cause });
        skipReason = `WebGPU session failed: ${(cause as Error).message}`;
      }
    }
    if (forced) throw new LocalshelfError('BACKEND_UNAVAILABLE', `WebGPU was forced but is unavailable: ${skipReason}`);
    skipped.push({ name: 'webgpu', reason: skipReason ?? 'unavailable' });
  }
  try {
    const { ort, session, threads } = await openWasm(options);
    const reason = options.preference === 'wasm' ? 'forced by backend: "wasm"' : 'WebGPU skipped; WASM runs on every browser';
    const why = threads > 1 ? `${reason}; ${threads} threads (cross-origin isolated)` : `${reason}; 1 thread (page not cross-origin isolated)`;
    return { ort, session, info: { name: 'wasm', runtime: 'onnxruntime', threads, reason: options.note ? `${why}; ${options.note}` : why, skipped, adapter: adapterDescription } };
  } catch (cause) {
    const message = (cause as Error)?.message ?? String(cause);
    if (/protobuf|parse|load model|invalid model|failed to load/i.test(message)) {
      throw new LocalshelfError('MODEL_CORRUPT', `onnxruntime rejected the encoder: ${message}`, { cause });
    }
    throw new LocalshelfError('BACKEND_UNAVAILABLE', `WASM backend failed to start: ${message}`, { cause });
  }
}
