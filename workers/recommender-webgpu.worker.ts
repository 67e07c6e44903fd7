/**
 * Worker entry of `localshelf/webgpu`: the engine with onnxruntime-web's WebGPU (JSEP) build as well as the WASM
 * one. Started by that entry's `createRecommender()`; an app that imports only `localshelf` never bundles this file.
 */
import { expose } from 'comlink';
import { installErrorTransfer } from '../src/error-transfer';
import { RecommenderService } from './service';

installErrorTransfer();
expose(new RecommenderService({ webgpu: () => import('onnxruntime-web') }));
