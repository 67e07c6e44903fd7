import { execFileSync } from 'node:child_process';

// Builds the test page against dist/ (which `npm run build` made) before any browser test runs.
export default function globalSetup(): void {
  execFileSync('npx', ['vite', 'build', '--config', 'test/browser/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
}
