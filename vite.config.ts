import { defineConfig } from 'vite';

// Library build: the main-thread entry (dist/localshelf.js) and the module worker as its own chunk. Runtime
// dependencies (onnxruntime-web, comlink, idb) stay external, as in any npm library: the app's bundler resolves
// them and emits onnxruntime-web's .wasm next to the app (Vite, webpack 5 and esbuild follow the
// `new URL(..., import.meta.url)` references). Nothing is fetched from a CDN.
const external = [/^onnxruntime-web(\/.*)?$/, /^comlink$/, /^idb$/];

export default defineConfig({
  base: './',
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    assetsInlineLimit: 0,
    lib: {
      entry: { localshelf: 'src/index.ts' },
      formats: ['es'],
    },
    rollupOptions: { external },
  },
  worker: {
    format: 'es',
    rollupOptions: { external },
  },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
});
