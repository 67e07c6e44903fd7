// The page the browser tests drive: it imports the BUILT package (dist/), as a storefront would, and hands
// its exports to Playwright through `window.localshelf`. The WebGPU entry: the tests run both backends (the
// WASM-only default entry is what the fresh apps in test/consumer build).
import * as localshelf from 'localshelf/webgpu';

declare global {
  interface Window {
    localshelf: typeof localshelf;
    localshelfReady: boolean;
  }
}

window.localshelf = localshelf;
window.localshelfReady = true;
