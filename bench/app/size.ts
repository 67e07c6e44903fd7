// What a storefront's main thread pays for the library: this page imports `createRecommender` and nothing else,
// so the bundler's entry chunk (and what it statically imports) is the library's main-thread code, minified.
import { createRecommender } from 'localshelf';

(window as unknown as { createRecommender: typeof createRecommender }).createRecommender = createRecommender;
