import { defineConfig, type Plugin } from 'vite';

// Library build: the main-thread entry (dist/localshelf.js) and the module worker as its own chunk. Runtime
// dependencies (onnxruntime-web, comlink, idb) stay external, as in any npm library: the app's bundler resolves
// them and emits onnxruntime-web's .wasm next to the app (Vite, webpack 5 and esbuild follow the
// `new URL(..., import.meta.url)` references). Nothing is fetched from a CDN.
const external = [/^onnxruntime-web(\/.*)?$/, /^comlink$/, /^idb$/, /^minisearch$/];

/**
 * Writes the worker URLs as literals in the built entries, so the app's bundler recognises
 * `new Worker(new URL("./recommender.worker.js", import.meta.url))` (and `./recommender-webgpu.worker.js` in the
 * `localshelf/webgpu` entry) and bundles each worker with its dependencies. (In the source they are constants,
 * which keeps Vite's own worker plugin off them here.)
 */
function literalWorkerUrl(): Plugin {
  const urls = ['./recommender.worker.js', './recommender-webgpu.worker.js'];
  const found = new Set<string>();
  return {
    name: 'localshelf:literal-worker-url',
    renderChunk(code) {
      let out = code;
      for (const url of urls) {
        // the constant holding the URL (`const X = "./recommender.worker.js"`), wherever the chunking put it
        const decl = new RegExp(`(?:const|let|var)\\s+([\\w$]+)\\s*=\\s*["']${url.replace(/[.]/g, '\\.')}["']`).exec(out);
        if (!decl) continue;
        const use = `new Worker(new URL(${decl[1]}, import.meta.url)`;
        if (!out.includes(use)) this.error(`${url}: no new Worker(new URL(${decl[1]}, import.meta.url)) beside its constant`);
        out = out.split(use).join(`new Worker(new URL(${JSON.stringify(url)}, import.meta.url)`);
        found.add(url);
      }
      return out === code ? null : { code: out, map: null };
    },
    generateBundle() {
      for (const url of urls) if (!found.has(url)) this.error(`worker construction for ${url} not found in any chunk`);
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
      entry: {
        localshelf: 'src/index.ts',
        webgpu: 'src/webgpu.ts',
        'recommender.worker': 'workers/recommender.worker.ts',
        'recommender-webgpu.worker': 'workers/recommender-webgpu.worker.ts',
      },
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
