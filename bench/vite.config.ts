import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./app', import.meta.url));
const repo = fileURLToPath(new URL('..', import.meta.url));

/**
 * The bench pages, built against the built package (dist/) the way a storefront bundles it (like
 * test/browser/vite.config.ts): Vite bundles the library's module worker and emits onnxruntime-web's wasm.
 * `public/` (the shipped Beauty model) is copied in; bench/run.ts writes the synthetic 100k model beside it.
 * The manifest lets bench/run.ts find what each page loads on the main thread.
 */
export default defineConfig({
  root,
  base: './',
  appType: 'mpa',
  publicDir: `${repo}/public`,
  logLevel: 'warn',
  resolve: {
    alias: [
      { find: /^localshelf\/webgpu$/, replacement: `${repo}/dist/webgpu.js` },
      { find: /^localshelf$/, replacement: `${repo}/dist/localshelf.js` },
    ],
  },
  build: {
    outDir: `${repo}/bench/out/app`,
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    manifest: true,
    reportCompressedSize: false,
    rollupOptions: {
      input: { index: `${root}/index.html`, startup: `${root}/startup.html`, size: `${root}/size.html`, encoder: `${root}/encoder.html` },
    },
  },
  worker: { format: 'es' },
});
