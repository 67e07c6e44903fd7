// The page the browser tests drive: it imports the BUILT package (dist/), as a storefront would, and hands
// its exports to Playwright through `window.localshelf`.
import * as localshelf from 'localshelf';

declare global {
  interface Window {
    localshelf: typeof localshelf;
    localshelfReady: boolean;
  }
}

window.localshelf = localshelf;
window.localshelfReady = true;
