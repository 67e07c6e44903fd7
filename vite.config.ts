import { defineConfig, type Plugin } from 'vite';

// Library build: the main-thread entry (dist/localshelf.js) and the module worker as its own chunk. Runtime
// dependencies (onnxruntime-web, comlink, idb) stay external, as in any npm library: the app's bundler resolves
// them and emits onnxruntime-web's .wasm next to the app (Vite, webpack 5 and esbuild follow the
// `new URL(..., import.meta.url)` references). Nothing is fetched from a CDN.
const external = [/^onnxruntime-web(\/.*)?$/, /^comlink$/, /^idb$/, /^minisearch$/];

/**
 * Writes the worker URL as a literal in the built entry, so the app's bundler recognises
 * `new Worker(new URL("./recommender.worker.js", import.meta.url))` and bundles the worker with its
 * dependencies. (In the source it is a constant, which keeps Vite's own worker plugin off it here.)
 */
function literalWorkerUrl(): Plugin {
  return {
    name: 'localshelf:literal-worker-url',
    renderChunk(code, chunk) {
      if (chunk.name !== 'localshelf') return null;
      const pattern = /new Worker\(new URL\([\w$]+, import\.meta\.url\)/;
      if (!pattern.test(code)) this.error('worker construction not found in the entry chunk');
      return { code: code.replace(pattern, 'new Worker(new URL("./recommender.worker.js", import.meta.url)'), map: null };
    },
  };
}

export default defineConfig({
  plugins: [literalWorkerUrl()],
  base: './',
  // The package holds the library only: the demo model in public/ ships from the repo, not in dist/.
  publicDir: false,
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    assetsInlineLimit: 0,
    lib: {
      entry: { localshelf: 'src/index.ts', 'recommender.worker': 'workers/recommender.worker.ts' },
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
