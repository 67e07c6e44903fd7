// A plain webpack 5 app: ES module output (the library's worker is a module worker), nothing localshelf-specific.
import { fileURLToPath } from 'node:url';

export default {
  mode: 'production',
  entry: './src/main.js',
  output: { path: fileURLToPath(new URL('./dist', import.meta.url)), filename: 'main.js', module: true, chunkFormat: 'module', clean: true },
  experiments: { outputModule: true },
  performance: { hints: false },
};
