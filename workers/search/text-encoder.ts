/**
 * The text encoder: a transformers.js feature-extraction pipeline over a model folder served by the app
 * (`config.json`, `tokenizer.json`, `tokenizer_config.json`, `onnx/model_quantized.onnx`), mean-pooled.
 *
 * transformers.js keeps its configuration in a global `env` and picks an onnxruntime when it is imported, so
 * this module imports it lazily, at start-up, inside the worker, after handing it the worker's own onnxruntime
 * instance (`globalThis[Symbol.for('onnxruntime')]`, which transformers.js reads at import): one runtime for
 * both models. Every file goes through the fetch given here (checks and offline copies); remote models are off.
 */
import { LocalshelfError, isLocalshelfError } from '../../src/errors';
import type { TextDtype } from '../../src/search';
import { createTurns, type Turns } from '../runtime/turns';

type Ort = typeof import('onnxruntime-web');
type Transformers = typeof import('@huggingface/transformers');
type Extractor = Awaited<ReturnType<Transformers['pipeline']>> & ((texts: string[], options: object) => Promise<{ data: Float32Array; dims: number[] }>);

export interface TextEncoderOptions {
  /** Folder URL of the model, ending with `/` (`http(s):`, or a file path in Node). */
  folder: string;
  dtype: TextDtype;
  /** The onnxruntime the recommender runs on (onnxruntime-web in the browser, onnxruntime-node in Node). */
  ort: Ort | typeof import('onnxruntime-node');
  /** Execution provider for the text model. @defaultValue `'wasm'` (`'cpu'` for onnxruntime-node) */
  executionProvider?: string;
  /** Downloads one file; reject with a `LocalshelfError` to fail the load with that error. */
  fetchFile: (url: string) => Promise<Uint8Array>;
  /**
   * Runs one `embed` when the runtime is free. The recommender passes its own turn-taking, so the text model and
   * the history encoder never run at the same time on the one onnxruntime. @defaultValue a queue of this encoder's own
   */
  exclusive?: Turns;
}

export interface TextEncoder {
  readonly dim: number;
  readonly folder: string;
  /** Mean-pooled text vectors, row-major `[texts.length, dim]`. */
  embed(texts: readonly string[]): Promise<Float32Array>;
  dispose(): Promise<void>;
}

const ORT_SYMBOL = Symbol.for('onnxruntime');

/** Imports transformers.js with `ort` as its runtime, leaving `ort.env` as it found it. */
async function importTransformers(ort: TextEncoderOptions['ort']): Promise<Transformers> {
  const g = globalThis as Record<symbol, unknown>;
  const wasm = (ort.env as { wasm?: { wasmPaths?: unknown } }).wasm;
  const paths = wasm?.wasmPaths;
  g[ORT_SYMBOL] ??= ort;
  if (g[ORT_SYMBOL] !== ort) throw new LocalshelfError('INTERNAL', 'transformers.js was already bound to another onnxruntime in this realm');
  const transformers = await import('@huggingface/transformers');
  // transformers.js points a runtime without wasmPaths at a CDN on import; this one loads the bundled files.
  if (wasm) wasm.wasmPaths = paths as never;
  return transformers;
}

function splitFolder(folder: string): { root: string; id: string } {
  const trimmed = folder.replace(/\/+$/, '');
  const cut = trimmed.lastIndexOf('/');
  return { root: trimmed.slice(0, cut + 1), id: trimmed.slice(cut + 1) };
}

/**
 * transformers.js treats a `localModelPath` that is a full URL as remote (and with remote models off, finds
 * nothing), so it gets this path instead, and our `env.fetch` maps it back to the folder's real URL.
 */
const LOCAL_PREFIX = '/__localshelf_text__/';

/**
 * Loads the pipeline. @throws LocalshelfError `MODEL_FETCH` (a file is missing or unreachable),
 * `MODEL_CORRUPT` (a file fails its check or onnxruntime rejects the model)
 */
export async function openTextEncoder(options: TextEncoderOptions): Promise<TextEncoder> {
  const { env, pipeline } = await importTransformers(options.ort);
  const { root, id } = splitFolder(options.folder);
  const failures: LocalshelfError[] = [];
  // Node (evaluation, tests): a file: folder is read from disk by transformers.js itself.
  const onDisk = root.startsWith('file:');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = onDisk ? decodeURIComponent(new URL(root).pathname) : LOCAL_PREFIX;
  env.useFS = onDisk;
  env.useBrowserCache = false;
  env.useFSCache = false;
  env.useCustomCache = false;
  env.useWasmCache = false;
  env.fetch = async (input: RequestInfo | URL): Promise<Response> => {
    const asked = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const url = asked.startsWith(LOCAL_PREFIX) ? root + asked.slice(LOCAL_PREFIX.length) : asked;
    try {
      const bytes = await options.fetchFile(url);
      return new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'content-length': String(bytes.byteLength) } });
    } catch (error) {
      const wrapped = isLocalshelfError(error) ? error : new LocalshelfError('MODEL_FETCH', `could not fetch ${url}`, { cause: error });
      failures.push(wrapped);
      // A missing optional file is normal for transformers.js; it asks, gets a 404, and goes on.
      return new Response(null, { status: 404 });
    }
  };
  let extractor: Extractor;
  try {
    extractor = (await pipeline('feature-extraction', id, {
      dtype: options.dtype,
      // With an onnxruntime handed in, transformers.js knows no device names; the session options choose.
      device: 'auto',
      session_options: { executionProviders: [options.executionProvider ?? 'wasm'], graphOptimizationLevel: 'all' },
    } as never)) as Extractor;
  } catch (cause) {
    const first = failures.find((f) => f.code === 'MODEL_CORRUPT') ?? failures[0];
    if (first) throw first;
    throw new LocalshelfError('MODEL_CORRUPT', `the text model at ${options.folder} could not be loaded: ${(cause as Error)?.message ?? cause}`, { cause });
  }
  const probe = await extractor(['probe'], { pooling: 'mean', normalize: false });
  const dim = probe.dims.at(-1) ?? 0;
  const exclusive = options.exclusive ?? createTurns();
  return {
    dim,
    folder: options.folder,
    embed(texts) {
      const run = async (): Promise<Float32Array> => {
        if (texts.length === 0) return new Float32Array(0);
        try {
          const out = await extractor([...texts], { pooling: 'mean', normalize: false });
          return Float32Array.from(out.data);
        } catch (cause) {
          throw new LocalshelfError('INFERENCE', `the text encoder failed: ${(cause as Error)?.message ?? cause}`, { cause });
        }
      };
      return exclusive(run);
    },
    async dispose() {
      await (extractor as unknown as { dispose?: () => Promise<void> }).dispose?.();
    },
  };
}
