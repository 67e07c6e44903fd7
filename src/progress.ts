/** Start-up progress, a union keyed on `status`. Statuses only move forward, ending with `'ready'`. */
export type Progress =
  | { status: 'initiate'; file: string }
  | { status: 'download'; file: string; loaded: number; total: number | undefined }
  | { status: 'done'; file: string; bytes: number }
  | { status: 'ready'; backend: 'webgpu' | 'wasm' };

/** The order statuses move through for one file; `'ready'` comes once, last. */
export const PROGRESS_ORDER = ['initiate', 'download', 'done', 'ready'] as const;
