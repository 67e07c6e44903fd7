// The encoder-breakdown page: hands bench/encoder.ts the worker's measurement through `window.benchEncoder`.
import { wrap } from 'comlink';
import { createRecommender } from 'localshelf';
import type { EncoderApi } from './encoder.worker';

declare global {
  interface Window {
    benchEncoder: (calls: number, warmup: number) => ReturnType<EncoderApi['measure']>;
    benchEncoderVariants: (noLoraUrl: string, samples: number, reps: number) => ReturnType<EncoderApi['variants']>;
    benchEngineAB: (calls: number) => Promise<{ own: number[]; base: number[]; full: number[]; sameTop10: boolean }>;
  }
}

/**
 * recommend() in the engine (in-worker `elapsedMs`): the shipped folder on the library's own encoder (the default,
 * `runtime: 'auto'`) and in onnxruntime (`runtime: 'onnxruntime'`: the LoRA-free `encoder.base.int8.onnx`), and the
 * same folder without that file (`./models/beauty-full-only/`: onnxruntime, the full graph with zero LoRA feeds);
 * calls interleaved, WASM, search off.
 */
window.benchEngineAB = async (calls) => {
  const open = (model: string, storageName: string, runtime: 'auto' | 'onnxruntime') => createRecommender({ model, storageName, backend: 'wasm', runtime, search: { textModel: false } });
  const [own, base, full] = await Promise.all([
    open('./models/beauty/manifest.json', 'ab-own', 'auto'),
    open('./models/beauty/manifest.json', 'ab-base', 'onnxruntime'),
    open('./models/beauty-full-only/manifest.json', 'ab-full', 'onnxruntime'),
  ]);
  try {
    for (const r of [own, base, full]) {
      await r.history.clear();
      for (const itemId of ['B004756YJA', 'B004ZT0SSG', 'B00021DJ32']) await r.track({ type: 'view', itemId });
    }
    // each round first adds one view to every history: the engine reuses the user vector of an unchanged history, so
    // a repeated call on the same history would time that cache, not the encoder
    const views = ['B004756YJA', 'B004ZT0SSG', 'B00021DJ32'];
    const step = (i: number) => Promise.all([own, base, full].map((r) => r.track({ type: 'view', itemId: views[i % 3]! })));
    for (let i = 0; i < 30; i++) {
      await step(i);
      await Promise.all([own.recommend({ k: 10 }), base.recommend({ k: 10 }), full.recommend({ k: 10 })]);
    }
    const out = { own: [] as number[], base: [] as number[], full: [] as number[] };
    for (let i = 0; i < calls; i++) {
      await step(i);
      out.own.push((await own.recommend({ k: 10 })).elapsedMs);
      out.base.push((await base.recommend({ k: 10 })).elapsedMs);
      out.full.push((await full.recommend({ k: 10 })).elapsedMs);
    }
    const ids = async (r: typeof base) => (await r.recommend({ k: 10 })).items.map((it) => it.id).join();
    const want = await ids(full);
    return { ...out, sameTop10: (await ids(base)) === want && (await ids(own)) === want };
  } finally {
    own.dispose();
    base.dispose();
    full.dispose();
  }
};

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
