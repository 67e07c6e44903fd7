import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./app', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));

// Builds the browser-test page against the built package (dist/), the way a storefront app would bundle it.
export default defineConfig({
  root,
  base: './',
  appType: 'mpa',
  publicDir: `${repo}/public`,
  resolve: {
    alias: [
      { find: /^localshelf\/react$/, replacement: `${repo}/dist/react.js` },
      { find: /^localshelf\/webgpu$/, replacement: `${repo}/dist/webgpu.js` },
      { find: /^localshelf$/, replacement: `${repo}/dist/localshelf.js` },
    ],
  },
  build: {
    outDir: `${repo}/test/browser/.app-dist`,
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: { index: `${root}/index.html`, react: `${root}/react.html` } },
  },
  worker: { format: 'es' },
});
