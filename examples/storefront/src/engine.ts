/**
 * The shop's handle on localshelf: starts the recommender once, reports start-up progress, and lets views
 * track events before the model is ready (they wait for it).
 */
// WebGPU on a real GPU, WASM otherwise: the demo opts into the WebGPU build (an app that wants WASM only imports 'localshelf')
import { createRecommender, type Progress, type Recommender, type TrackEvent } from 'localshelf/webgpu';

/** manifest.json, encoder, item matrix, catalog (docs/artifacts.md). */
const MODEL_FILES = 4;

export interface LoadState {
  /** Bytes per file as the worker reports them. */
  files: Map<string, { loaded: number; total: number | undefined; done: boolean }>;
  phase: 'loading' | 'ready' | 'failed';
  error?: { code: string; message: string };
}

export class Engine {
  readonly ready: Promise<Recommender>;
  readonly state: LoadState = { files: new Map(), phase: 'loading' };
  readonly #listeners = new Set<() => void>();
  #fraction = 0;

  constructor(modelUrl: string) {
    this.ready = createRecommender({ model: modelUrl, onProgress: (p) => this.#progress(p) });
    this.ready.then(
      () => {
        this.state.phase = 'ready';
        this.#emit();
      },
      (error: unknown) => {
        const e = error as { code?: string; message?: string };
        this.state.phase = 'failed';
        this.state.error = { code: e.code ?? 'ERROR', message: e.message ?? String(error) };
        this.#emit();
      },
    );
  }

  /** Called on every progress step and when start-up ends. Returns an unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Records a shopper event; waits for start-up. Failures are logged, never thrown at the shopper. */
  async track(event: TrackEvent): Promise<void> {
    try {
      await (await this.ready).track(event);
    } catch (error) {
      console.warn('localshelf: could not record', event.type, error);
    }
  }

  /**
   * Overall start-up fraction, 0..1: each file counts equally (its bytes once its size is known), over at least
   * the four files a model has (manifest, encoder, item matrix, catalog), and it never moves back.
   */
  get fraction(): number {
    let sum = 0;
    for (const f of this.state.files.values()) sum += f.done ? 1 : f.total ? Math.min(f.loaded / f.total, 1) : 0;
    this.#fraction = Math.max(this.#fraction, sum / Math.max(MODEL_FILES, this.state.files.size));
    return this.#fraction;
  }

  #progress(p: Progress): void {
    if (p.status === 'initiate') this.state.files.set(p.file, { loaded: 0, total: undefined, done: false });
    else if (p.status === 'download') this.state.files.set(p.file, { loaded: p.loaded, total: p.total, done: false });
    else if (p.status === 'done') this.state.files.set(p.file, { loaded: p.bytes, total: p.bytes, done: true });
    this.#emit();
  }

  #emit(): void {
    for (const listener of this.#listeners) listener();
  }
}
