/**
 * Serves the built demo storefront (examples/storefront/dist) with the repository's static server: correct
 * content types, real 404s, no SPA fallback. Run after building:
 *
 *   npm run build && npx vite build --config examples/storefront/vite.config.ts && npx tsx examples/serve.ts
 *
 * PORT (default 5173) picks the port; the server listens on 127.0.0.1 only. ISOLATED=1 sends COOP/COEP, so the
 * page is cross-origin isolated and onnxruntime-web may use WASM threads.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../server/static-server';

const root = fileURLToPath(new URL('./storefront/dist', import.meta.url));
const port = Number(process.env.PORT ?? 5173);

if (!existsSync(`${root}/index.html`)) {
  console.error(`${root}/index.html is missing: build the demo first (npx vite build --config examples/storefront/vite.config.ts)`);
  process.exit(1);
}
if (!existsSync(`${root}/models/beauty/manifest.json`)) {
  console.warn('warning: models/beauty/manifest.json is not in the build; the shop will load but cannot recommend.');
  console.warn('         Put the Beauty model in public/models/beauty/ and rebuild the demo.');
}

const server = await startStaticServer({ root, port, isolated: process.env.ISOLATED === '1' });
console.log(`localshelf demo storefront: ${server.url}/`);
console.log('Everything the shop learns about you stays in this browser; this server only hands out static files.');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void server.close().then(() => process.exit(0)));
}
