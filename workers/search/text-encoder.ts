/**
 * The text encoder: the project's own WordPiece tokenizer and one onnxruntime session over a model folder in
 * the Hugging Face / transformers.js layout (`tokenizer.json`, optional `tokenizer_config.json`,
 * `onnx/<dtype file>`), mean-pooled over the attention mask. It runs on the recommender's own onnxruntime
 * (onnxruntime-web in the worker, onnxruntime-node in evaluation), so an app bundles one runtime, and every file
 * goes through the `fetchFile` given here (checks, offline copies). Nothing is fetched from a hub.
 *
 * Why not transformers.js (it ran this path until 0.1): it brought onnxruntime-node (an install script that
 * downloads GPU binaries), sharp and a second onnxruntime-web build into every app, for a tokenizer and one
 * `session.run`. docs/search.md has the measurements behind the switch.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { LocalshelfError, isLocalshelfError } from '../../src/errors';
import type { TextDtype } from '../../src/search';
import { createTurns, type Turns } from '../runtime/turns';
import { WordPieceTokenizer } from './wordpiece';

type Ort = typeof import('onnxruntime-web');

export interface TextEncoderOptions {
  /** Folder URL of the model, ending with `/`. */
  folder: string;
  dtype: TextDtype;
  /**
   * The onnxruntime the recommender runs on: onnxruntime-web in the browser; in Node, onnxruntime-node (same API,
   * passed `as never`, so that this library's published types never name a package it does not depend on).
   */
  ort: Ort;
  /** Execution provider for the text model. @defaultValue `'wasm'` */
  executionProvider?: string;
  /** Downloads one file; reject with a `LocalshelfError` to fail the load with that error. */
  fetchFile: (url: string) => Promise<Uint8Array>;
  /**
   * Runs one `embed` when the runtime is free. The recommender passes its own turn-taking, so the text model and
   * the history encoder never run at the same time on the one onnxruntime. @defaultValue a queue of this encoder's own
   */
  exclusive?: Turns;
  /** Texts per onnxruntime run (each run is padded to its longest text). @defaultValue `64` */
  batchSize?: number;
}

export interface TextEncoder {
  readonly dim: number;
  readonly folder: string;
  /** Mean-pooled text vectors, row-major `[texts.length, dim]`. */
  embed(texts: readonly string[]): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** The ONNX file for each `dtype`, under `onnx/` (the names transformers.js and Optimum export). */
export const TEXT_ONNX_FILE: Record<TextDtype, string> = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q8: 'model_quantized.onnx',
  int8: 'model_int8.onnx',
  uint8: 'model_uint8.onnx',
  q4: 'model_q4.onnx',
};

/** Files of a text model folder the encoder reads (besides the ONNX file). */
export const TEXT_FILES = ['tokenizer.json', 'tokenizer_config.json'] as const;

const INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids']);

async function maxLengthOf(options: TextEncoderOptions): Promise<number> {
  // tokenizer_config.json is optional; without it BERT's 512 applies.
  const bytes = await options.fetchFile(`${options.folder}tokenizer_config.json`).catch((error: unknown) => {
    if (isLocalshelfError(error, 'MODEL_CORRUPT')) throw error;
    return undefined;
  });
  if (!bytes) return 512;
  let config: { model_max_length?: unknown };
  try {
    config = JSON.parse(new TextDecoder().decode(bytes)) as typeof config;
  } catch (cause) {
    throw new LocalshelfError('MODEL_CORRUPT', `${options.folder}tokenizer_config.json is not JSON`, { cause });
  }
  const n = config.model_max_length;
  // Hugging Face writes a huge sentinel when a model sets no limit.
  return typeof n === 'number' && Number.isInteger(n) && n >= 2 && n <= 8192 ? n : 512;
}

async function openSession(options: TextEncoderOptions): Promise<InferenceSession> {
  const url = `${options.folder}onnx/${TEXT_ONNX_FILE[options.dtype]}`;
  const bytes = await options.fetchFile(url);
  let session: InferenceSession;
  try {
    session = await options.ort.InferenceSession.create(bytes, {
      executionProviders: [options.executionProvider ?? 'wasm'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
  } catch (cause) {
    throw new LocalshelfError('MODEL_CORRUPT', `onnxruntime rejected the text model ${url}: ${(cause as Error)?.message ?? cause}`, { cause });
  }
  const unknown = session.inputNames.filter((n) => !INPUTS.has(n));
  if (!session.inputNames.includes('input_ids') || unknown.length > 0) {
    await session.release().catch(() => undefined);
    throw new LocalshelfError('MODEL_CORRUPT', `the text model ${url} must take input_ids (and optionally attention_mask, token_type_ids); it takes ${session.inputNames.join(', ')}`);
  }
  return session;
}

/** One onnxruntime run over `ids` (already tokenized), mean-pooled into `out` from row `at`. */
async function runBatch(ort: Ort, session: InferenceSession, ids: number[][], out: { data: Float32Array; dim: number }, at: number): Promise<number> {
  const b = ids.length;
  const t = Math.max(...ids.map((x) => x.length));
  const inputIds = new BigInt64Array(b * t);
  const mask = new BigInt64Array(b * t);
  ids.forEach((row, i) => {
    for (let j = 0; j < row.length; j++) {
      inputIds[i * t + j] = BigInt(row[j]!);
      mask[i * t + j] = 1n;
    }
  });
  const feeds: Record<string, Tensor> = { input_ids: new ort.Tensor('int64', inputIds, [b, t]) };
  if (session.inputNames.includes('attention_mask')) feeds.attention_mask = new ort.Tensor('int64', mask, [b, t]);
  if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(b * t), [b, t]);
  const result = await session.run(feeds);
  const h = result.last_hidden_state ?? result[session.outputNames[0]!];
  if (!h) throw new Error('the text model has no output');
  const data = (await h.getData()) as Float32Array;
  const pooled = h.dims.length === 2; // a model that pools itself: [B, D]
  const dim = Number(h.dims.at(-1));
  if (out.dim === 0) {
    out.dim = dim;
    out.data = new Float32Array(out.data.length * dim);
  }
  if (dim !== out.dim || (!pooled && (h.dims.length !== 3 || h.dims[0] !== b || h.dims[1] !== t))) {
    throw new Error(`text model output [${h.dims.join(', ')}], expected [${b}, ${t}, D] or [${b}, D]`);
  }
  ids.forEach((row, i) => {
    const o = (at + i) * dim;
    if (pooled) {
      out.data.set(data.subarray(i * dim, (i + 1) * dim), o);
      return;
    }
    for (let j = 0; j < row.length; j++) {
      const base = (i * t + j) * dim;
      for (let d = 0; d < dim; d++) out.data[o + d]! += data[base + d]!;
    }
    for (let d = 0; d < dim; d++) out.data[o + d]! /= row.length;
  });
  return dim;
}

/**
 * Loads tokenizer and model. @throws LocalshelfError `MODEL_FETCH` (a file is missing or unreachable),
 * `MODEL_CORRUPT` (a file fails its check, is not a WordPiece tokenizer, or onnxruntime rejects the model)
 */
export async function openTextEncoder(options: TextEncoderOptions): Promise<TextEncoder> {
  const folder = options.folder.endsWith('/') ? options.folder : `${options.folder}/`;
  const fetchFile = (url: string): Promise<Uint8Array> =>
    options.fetchFile(url).catch((error: unknown) => {
      throw isLocalshelfError(error) ? error : new LocalshelfError('MODEL_FETCH', `could not fetch ${url}`, { cause: error });
    });
  const o = { ...options, folder, fetchFile };
  const batchSize = options.batchSize ?? 64;
  const [tokenizerBytes, maxLength] = await Promise.all([o.fetchFile(`${folder}tokenizer.json`), maxLengthOf(o)]);
  const tokenizer = WordPieceTokenizer.parse(tokenizerBytes, maxLength);
  const session = await openSession(o);
  const exclusive = options.exclusive ?? createTurns();
  const encode = async (texts: readonly string[], width: number): Promise<{ data: Float32Array; dim: number }> => {
    const out = { data: new Float32Array(width === 0 ? texts.length : texts.length * width), dim: width };
    for (let start = 0; start < texts.length; start += batchSize) {
      const ids = texts.slice(start, start + batchSize).map((text) => tokenizer.encode(text));
      await runBatch(o.ort, session, ids, out, start);
    }
    return out;
  };
  let dim: number;
  try {
    dim = (await encode(['probe'], 0)).dim;
  } catch (cause) {
    await session.release().catch(() => undefined);
    throw new LocalshelfError('MODEL_CORRUPT', `the text model in ${folder} does not run: ${(cause as Error)?.message ?? cause}`, { cause });
  }
  return {
    dim,
    folder,
    embed(texts) {
      const run = async (): Promise<Float32Array> => {
        if (texts.length === 0) return new Float32Array(0);
        try {
          return (await encode(texts, dim)).data;
        } catch (cause) {
          throw new LocalshelfError('INFERENCE', `the text encoder failed: ${(cause as Error)?.message ?? cause}`, { cause });
        }
      };
      return exclusive(run);
    },
    async dispose() {
      await session.release();
    },
  };
}
