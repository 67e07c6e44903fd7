/**
 * A storefront's first contact with localshelf, done the way a new user does it: `npm pack` of the built
 * package, a new app folder outside this repo (so the repo's `.npmrc` and npm's `npm_config_*` variables do not
 * apply), `npm install vite <tarball>`, the README's Use section as `main.js`, the demo model copied to `public/`,
 * `vite build`. Used by the browser test (test/browser/fresh-app.spec.ts) and by `npm run bench` (the size table).
 *
 * Installs come from the npm cache when it has the packages (`--prefer-offline`); the first run on a bare machine
 * fills it from the registry like `npm ci` does.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const appSource = fileURLToPath(new URL('./app', import.meta.url));

export interface InstalledPackage {
  name: string;
  version: string;
  /** Folder, relative to the app. */
  path: string;
}

export interface FreshApp {
  /** The app folder (a temp folder; `dispose()` removes it). */
  dir: string;
  /** The built app (`vite build` output). */
  dist: string;
  tarball: { file: string; bytes: number; files: string[] };
  installSeconds: number;
  /** Bytes under the app's node_modules. */
  nodeModulesBytes: number;
  /** Biggest packages under node_modules (bytes), largest first. */
  largest: { name: string; bytes: number }[];
  /** Every package under node_modules, nested copies included. */
  packages: InstalledPackage[];
  /** Packages in localshelf's dependency tree that declare an install script (should be none). */
  installScripts: string[];
  /** What `vite build` emitted under dist/assets (bytes), sorted by name. */
  assets: { file: string; bytes: number }[];
  /** The bundled worker chunk (localshelf's worker with its dependencies). */
  workerChunk: { file: string; bytes: number };
  /** `npx localshelf-train` on examples/own-store from the installed package (with `train: true`). */
  trained?: { seconds: number; out: string; files: string[]; log: string };
  dispose(): void;
}

/** npm and the environment a new user's shell has: none of this repo's npm settings. */
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !/^npm_config_(cache|userconfig|globalconfig)$/i.test(k)) continue;
    if (/^ONNXRUNTIME_NODE_INSTALL/i.test(k)) continue;
    env[k] = v;
  }
  return env;
}

function duBytes(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (e.isSymbolicLink()) continue;
    total += duBytes(join(path, e.name));
  }
  return total;
}

/** Every `node_modules/<name>/package.json` (scoped and nested included). */
function listPackages(root: string, base = root): InstalledPackage[] {
  const nm = join(root, 'node_modules');
  const out: InstalledPackage[] = [];
  const visit = (dir: string): void => {
    const pkg = join(dir, 'package.json');
    try {
      const p = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
      if (p.name) out.push({ name: p.name, version: p.version ?? '', path: relative(base, dir) });
    } catch {
      return;
    }
    out.push(...listPackages(dir, base));
  };
  if (!statSync(nm, { throwIfNoEntry: false })?.isDirectory()) return out;
  for (const e of readdirSync(nm, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    if (e.name.startsWith('@')) {
      for (const s of readdirSync(join(nm, e.name), { withFileTypes: true })) if (s.isDirectory()) visit(join(nm, e.name, s.name));
    } else visit(join(nm, e.name));
  }
  return out;
}

interface LockEntry {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  hasInstallScript?: boolean;
}

/** Lockfile paths of `node_modules/localshelf` and everything it pulls in (npm's resolution: nearest node_modules up). */
function treeOf(lock: Record<string, LockEntry>, start: string): Set<string> {
  const seen = new Set<string>();
  const resolveDep = (from: string, name: string): string | undefined => {
    let dir = from;
    for (;;) {
      const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (lock[candidate]) return candidate;
      if (!dir) return undefined;
      const cut = dir.lastIndexOf('/node_modules/');
      dir = cut < 0 ? '' : dir.slice(0, cut);
    }
  };
  const walk = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    const e = lock[path]!;
    for (const name of Object.keys({ ...e.dependencies, ...e.optionalDependencies, ...e.peerDependencies })) {
      const dep = resolveDep(path, name);
      if (dep) walk(dep);
    }
  };
  walk(start);
  return seen;
}

/** `npm pack` of the built package (run `npm run build` first) into `dest`: the tarball and its file list. */
export function packLibrary(dest: string): FreshApp['tarball'] {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dest], { cwd: repo, env: userEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as {
    filename: string;
    size: number;
    files: { path: string }[];
  }[];
  return { file: join(dest, packed[0]!.filename), bytes: packed[0]!.size, files: packed[0]!.files.map((f) => f.path) };
}

/** Packs the built package (run `npm run build` first), installs it into a new app and builds the app. */
export function buildFreshApp(options: { log?: (line: string) => void; train?: boolean } = {}): FreshApp {
  const log = options.log ?? (() => undefined);
  const env = userEnv();
  const work = mkdtempSync(join(tmpdir(), 'localshelf-fresh-'));
  try {
    const dir = join(work, 'shop');
    mkdirSync(dir);
    log(`npm pack → ${work}`);
    const tarball = packLibrary(work);
    const viteVersion = (JSON.parse(readFileSync(join(repo, 'node_modules/vite/package.json'), 'utf8')) as { version: string }).version;
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'shop', private: true, type: 'module' }, null, 2)}\n`);
    cpSync(appSource, dir, { recursive: true });
    cpSync(join(repo, 'public/models/beauty'), join(dir, 'public/models/beauty'), { recursive: true });
    log(`npm install vite@${viteVersion} ${tarball.file} (in ${dir}, no .npmrc)`);
    const t0 = performance.now();
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error', `vite@${viteVersion}`, tarball.file], {
      cwd: dir,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const installSeconds = (performance.now() - t0) / 1000;
    const lock = (JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
    const tree = treeOf(lock, 'node_modules/localshelf');
    const installScripts = [...tree].filter((p) => lock[p]!.hasInstallScript);
    log('vite build');
    execFileSync('npx', ['--no-install', 'vite', 'build', '--logLevel', 'warn'], { cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit'] });
    const distDir = join(dir, 'dist');
    const assetsDir = join(distDir, 'assets');
    const assets = readdirSync(assetsDir)
      .sort()
      .map((file) => ({ file, bytes: statSync(join(assetsDir, file)).size }));
    const workers = assets.filter((a) => /^recommender\.worker-.*\.js$/.test(a.file));
    if (workers.length !== 1) throw new Error(`expected one recommender.worker chunk in the app build, found ${workers.map((w) => w.file).join(', ') || 'none'}`);
    let trained: FreshApp['trained'];
    if (options.train) {
      // The store's own-data command as the README gives it, run from the app: the installed package's bin and
      // Python pipeline (no ../shared, no repo checkout; the tokenizer is the copy the package ships).
      const out = join(dir, 'public/models/own-store');
      const ex = join(repo, 'examples/own-store');
      log('npx localshelf-train (examples/own-store, 2 epochs)');
      const t1 = performance.now();
      const trainLog = execFileSync(
        'npx',
        ['--no-install', 'localshelf-train', '--events', join(ex, 'events.csv'), '--catalog', join(ex, 'catalog.csv'), '--out', out, '--epochs', '2', '--seed', '1'],
        { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
      trained = { seconds: (performance.now() - t1) / 1000, out, files: readdirSync(out).sort(), log: trainLog };
    }
    const nm = join(dir, 'node_modules');
    const top = readdirSync(nm).flatMap((n) => (n.startsWith('@') ? readdirSync(join(nm, n)).map((s) => `${n}/${s}`) : n.startsWith('.') ? [] : [n]));
    const largest = top
      .map((name) => ({ name, bytes: duBytes(join(nm, name)) }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 6);
    return {
      dir,
      dist: distDir,
      tarball,
      installSeconds,
      nodeModulesBytes: duBytes(nm),
      largest,
      packages: listPackages(dir),
      installScripts,
      assets,
      workerChunk: workers[0]!,
      trained,
      dispose: () => rmSync(work, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
}
