// The encoder-breakdown page: hands bench/encoder.ts the worker's measurement through `window.benchEncoder`.
import { wrap } from 'comlink';
import type { EncoderApi } from './encoder.worker';

declare global {
  interface Window {
    benchEncoder: (calls: number, warmup: number) => ReturnType<EncoderApi['measure']>;
  }
}

window.benchEncoder = async (calls, warmup) => {
  const worker = new Worker(new URL('./encoder.worker.ts', import.meta.url), { type: 'module', name: 'bench-encoder' });
  try {
    return await wrap<EncoderApi>(worker).measure(new URL('./models/beauty/', location.href).href, calls, warmup);
  } finally {
    worker.terminate();
  }
};
