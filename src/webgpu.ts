/**
 * `localshelf/webgpu`: the same API as `localshelf`, with WebGPU. Its worker also carries onnxruntime-web's WebGPU
 * (JSEP) build, so `backend: 'auto'` runs the encoder on a hardware WebGPU adapter when there is one and on WASM
 * otherwise. Import this entry instead of `localshelf` only if you want that: the WebGPU build adds a 28 MB wasm
 * file (6.7 MB gzip) to the app's assets, downloaded only when WebGPU is used.
 * @packageDocumentation
 */
import { createRecommender as createWasmOnly, type CreateRecommenderOptions, type Recommender } from './client';

export * from './index';

/**
 * The worker of this entry, next to the built file (dist/recommender-webgpu.worker.js). Pass it as `createWorker`
 * where an API takes options for `localshelf`'s `createRecommender` (e.g. `useRecommender` of `localshelf/react`).
 */
export function webgpuWorker(): Worker {
  return new Worker(new URL(WEBGPU_WORKER_ENTRY, import.meta.url), { type: 'module', name: 'localshelf' });
}

const WEBGPU_WORKER_ENTRY = './recommender-webgpu.worker.js';

/** `createRecommender` of `localshelf`, on the WebGPU-capable worker (unless `options.createWorker` says otherwise). */
export function createRecommender(options: CreateRecommenderOptions): Promise<Recommender> {
  return createWasmOnly({ createWorker: webgpuWorker, ...options });
}
