import { defineConfig } from 'vite';

// The optional React entry (dist/react.js), built apart from the library so that it imports the core as the
// package `localshelf` (one copy of the client in an app) and React as the app's own (a peer dependency).
export default defineConfig({
  publicDir: false,
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: false,
    sourcemap: true,
    lib: { entry: { react: 'src/react.ts' }, formats: ['es'] },
    rollupOptions: {
      external: [/^react(\/.*)?$/, /^react-dom(\/.*)?$/, /^localshelf$/],
    },
  },
});
