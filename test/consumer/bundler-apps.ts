/**
 * Small storefront apps built from the packed package with the bundlers shops use: Vite + React (through
 * `localshelf/react`), webpack 5, and Next.js (App Router, static export; the library imported at the top of a
 * client component, so the server render evaluates it). Each app's source is in `test/consumer/apps/<kind>/`;
 * here it is copied to a temp folder outside the repo (no .npmrc, none of this repo's npm variables), the
 * tarball and the app's pinned dependencies installed (`--prefer-offline`: from the npm cache after the first
 * run), the app built, and the demo model copied into its static root. Used by test/browser/bundler-apps.spec.ts
 * and by `npm run bench:apps` (the emitted-asset table in BENCHMARKS.md).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packLibrary, userEnv } from './fresh-app';

const repo = fileURLToPath(new URL('../..', import.meta.url));

export const BUNDLER_APPS = ['vite-react', 'webpack', 'next'] as const;
export type BundlerApp = (typeof BUNDLER_APPS)[number];

export interface BuiltApp {
  kind: BundlerApp;
  /** The app folder (temp). */
  dir: string;
  /** Static root to serve: the build output with `models/beauty` copied in. */
  root: string;
  /** Every file the build emitted (bytes), the model folder left out, largest first. */
  assets: { file: string; bytes: number }[];
  installSeconds: number;
  buildSeconds: number;
  /** The bundler's version, as installed. */
  bundler: string;
}

interface Recipe {
  /** The app's bundler package (its version goes in the report). */
  bundler: string;
  build: string[];
  /** Build output folder, relative to the app. */
  out: string;
  /** Files copied from the app's source into the output after the build (webpack has no HTML step here). */
  copy?: [string, string][];
  /** Files of the plain fresh app (test/consumer/app/) the app uses as they are, copied into its folder first. */
  shared?: [string, string][];
}

const RECIPES: Record<BundlerApp, Recipe> = {
  'vite-react': { bundler: 'vite', build: ['vite', 'build', '--logLevel', 'warn'], out: 'dist' },
  webpack: {
    bundler: 'webpack',
    build: ['webpack'],
    out: 'dist',
    shared: [['main.js', 'src/main.js'], ['index.html', 'src/index.html']],
    copy: [['src/index.html', 'index.html']],
  },
  next: { bundler: 'next', build: ['next', 'build'], out: 'out' },
};

function files(dir: string, base = dir): { file: string; bytes: number }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return files(path, base);
    return [{ file: relative(base, path), bytes: statSync(path).size }];
  });
}

/** Builds one app against `tarball` (from {@link packLibrary}) inside `work`. */
export function buildBundlerApp(kind: BundlerApp, tarball: string, work: string, log: (line: string) => void = () => undefined): BuiltApp {
  const recipe = RECIPES[kind];
  const env = { ...userEnv(), NEXT_TELEMETRY_DISABLED: '1' };
  const dir = join(work, kind);
  cpSync(fileURLToPath(new URL(`./apps/${kind}`, import.meta.url)), dir, { recursive: true });
  for (const [from, to] of recipe.shared ?? []) cpSync(fileURLToPath(new URL(`./app/${from}`, import.meta.url)), join(dir, to));
  // the repo's Vite for the Vite app (the version every other test here builds with)
  const pkgPath = join(dir, 'package.json');
  const viteVersion = (JSON.parse(readFileSync(join(repo, 'node_modules/vite/package.json'), 'utf8')) as { version: string }).version;
  writeFileSync(pkgPath, readFileSync(pkgPath, 'utf8').replace('VITE_VERSION', viteVersion));
  log(`${kind}: npm install (pinned in apps/${kind}/package.json) + ${relative(work, tarball)}`);
  const t0 = performance.now();
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error', tarball], { cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const installSeconds = (performance.now() - t0) / 1000;
  log(`${kind}: ${recipe.build.join(' ')}`);
  const t1 = performance.now();
  execFileSync('npx', ['--no-install', ...recipe.build], { cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const buildSeconds = (performance.now() - t1) / 1000;
  const root = join(dir, recipe.out);
  for (const [from, to] of recipe.copy ?? []) cpSync(join(dir, from), join(root, to));
  const assets = files(root).sort((a, b) => b.bytes - a.bytes || a.file.localeCompare(b.file));
  mkdirSync(join(root, 'models'), { recursive: true });
  cpSync(join(repo, 'public/models/beauty'), join(root, 'models/beauty'), { recursive: true });
  const bundler = (JSON.parse(readFileSync(join(dir, 'node_modules', recipe.bundler, 'package.json'), 'utf8')) as { version: string }).version;
  return { kind, dir, root, assets, installSeconds, buildSeconds, bundler };
}

/** Packs the library once and builds every app; `dispose()` removes the temp folder. */
export function buildBundlerApps(log: (line: string) => void = () => undefined, kinds: readonly BundlerApp[] = BUNDLER_APPS): { apps: BuiltApp[]; tarball: string; dispose(): void } {
  const work = mkdtempSync(join(tmpdir(), 'localshelf-apps-'));
  try {
    const tarball = packLibrary(work).file;
    const apps = kinds.map((kind) => buildBundlerApp(kind, tarball, work, log));
    return { apps, tarball, dispose: () => rmSync(work, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
}
