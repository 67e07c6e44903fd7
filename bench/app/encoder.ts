// The encoder-breakdown page: hands bench/encoder.ts the worker's measurement through `window.benchEncoder`.
import { wrap } from 'comlink';
import type { EncoderApi } from './encoder.worker';

declare global {
  interface Window {
    benchEncoder: (calls: number, warmup: number) => ReturnType<EncoderApi['measure']>;
    benchEncoderVariants: (noLoraUrl: string, samples: number, reps: number) => ReturnType<EncoderApi['variants']>;
  }
}

async function inWorker<T>(fn: (api: ReturnType<typeof wrap<EncoderApi>>) => Promise<T>): Promise<T> {
  const worker = new Worker(new URL('./encoder.worker.ts', import.meta.url), { type: 'module', name: 'bench-encoder' });
  try {
    return await fn(wrap<EncoderApi>(worker));
  } finally {
    worker.terminate();
  }
}

const beauty = () => new URL('./models/beauty/', location.href).href;
window.benchEncoder = (calls, warmup) => inWorker((api) => api.measure(beauty(), calls, warmup));
window.benchEncoderVariants = (noLoraUrl, samples, reps) => inWorker((api) => api.variants(beauty(), new URL(noLoraUrl, location.href).href, samples, reps));
