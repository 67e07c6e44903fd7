/**
 * Worker entry: exposes the engine through comlink. Started by `createRecommender()` of `localshelf`. WASM only:
 * it never imports onnxruntime-web's WebGPU build (`recommender-webgpu.worker.ts` does, for `localshelf/webgpu`).
 */
import { expose } from 'comlink';
import { installErrorTransfer } from '../src/error-transfer';
import { RecommenderService } from './service';

installErrorTransfer();
expose(new RecommenderService());
