import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The demo storefront, built the way a shop would build its app: it imports the BUILT package (`dist/`, made by
 * `npm run build`), and Vite bundles the library's module worker and emits onnxruntime-web's wasm next to it.
 * `public/` (the shipped Beauty model) is copied in as static files. `appType: 'mpa'` keeps the dev server from
 * answering a missing model file with index.html.
 */
export default defineConfig({
  root,
  base: './',
  appType: 'mpa',
  publicDir: `${repo}/public`,
  resolve: {
    alias: [
      { find: /^localshelf\/webgpu$/, replacement: `${repo}/dist/webgpu.js` },
      { find: /^localshelf$/, replacement: `${repo}/dist/localshelf.js` },
    ],
  },
  build: { outDir: `${root}/dist`, emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0 },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
});
