/** The raw results of one bench run (bench/out/results.json) that bench/report.ts turns into BENCHMARKS.md. */
import type { RecommendRun, SearchRun } from './app/main';
import type { StartupResult } from './app/startup';
import type { KernelTiming } from './app/kernels.worker';
import type { Machine } from './machine';
import type { SizeRow } from './sizes';

export interface Settings {
  quick: boolean;
  recommendN: { small: number; large: number; warmup: number; gpu: number };
  kernelSamples: number;
  startup: {
    contexts: number;
    revisits: number;
    lexicalContexts: number;
    /** Profiles whose visits browse: each stays `stayMs`, recommending every `everyMs`; `browsingRevisits` after the cold one. */
    browsing: { contexts: number; revisits: number; stayMs: number; everyMs: number };
  };
  track: { burst: number; stream: number; chunk: number; serial: number };
  history: { events: number; samples: number; inits: number };
  search: { queries: number; warmup: number };
}

export interface RecommendRow {
  model: string;
  page: 'plain' | 'isolated';
  label: string;
  run: RecommendRun;
  load: number[];
}

export interface KernelRow {
  model: string;
  page: 'plain' | 'isolated';
  rows: number;
  dim: number;
  bytes: number;
  /** What the library's scorer ran on in that page (`int8` / `int8+top10`). */
  scorer: 'wasm-simd' | 'js';
  sameTop10: number;
  timings: KernelTiming[];
}

export interface StartupSample extends StartupResult {
  kind: 'cold' | 'cached';
  /**
   * `default`: the documented defaults (text encoder on), the page left right after the first recommendation;
   * `lexical`: the same with `search: { textModel: false }`; `browsing`: the defaults, but every visit stays on
   * the page a few seconds, recommending again now and then (a shopper browsing).
   */
  variant: 'default' | 'lexical' | 'browsing';
  /** 0 for the first (cold) visit of a browser profile, then 1, 2, … */
  visit: number;
  /** Requests that reached the server during the visit (the page and everything it loaded). */
  requests: number;
}

export interface GpuSection {
  probe: { available: boolean; fallback?: boolean; vendor?: string; architecture?: string; reason?: string };
  /** `hardware`: the real adapter was measured; `swiftshader`: software emulation, forced, labelled as such. */
  mode: 'hardware' | 'swiftshader' | 'none';
  error?: string;
}

export interface Results {
  date: string;
  command: string;
  machine: Machine;
  browser: { version: string; executable: string; args: string[] };
  loadStart: number[];
  loadEnd: number[];
  durationS: number;
  settings: Settings;
  recommend: RecommendRow[];
  kernels: KernelRow[];
  gpu: GpuSection;
  startup: StartupSample[];
  track: { burstMs: number; streamMs: number; untilCapMs: number; serialMs: number; serialLatency: number[]; stored: number; load: number[] };
  history: {
    events: number;
    loadSamples: number[];
    emptyLoadSamples: number[];
    init10k: number[];
    init0: number[];
    load: number[];
  };
  search: { queries: string[]; hybrid: SearchRun; lexical: SearchRun; orama: { rtt: number[]; worker: number[]; hits: number; buildMs: number; docs: number }; load: number[] };
  sizes: SizeRow[];
  wasmLoaded: string[];
}
