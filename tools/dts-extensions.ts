/**
 * After `tsc` writes dist/types: gives every relative import in the .d.ts files its `.js` extension (or
 * `/index.js` for a folder), so the types resolve under Node16/NodeNext ESM resolution as well as under bundler
 * resolution (`@arethetypeswrong/cli` checks both in `npm test`). The source keeps extensionless imports.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../dist/types', import.meta.url));
const SPECIFIER = /((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*?)\2/g;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.d.ts') ? [path] : [];
  });
}

let changed = 0;
for (const file of walk(root)) {
  const text = readFileSync(file, 'utf8');
  const out = text.replace(SPECIFIER, (whole, lead: string, quote: string, spec: string) => {
    if (/\.(js|mjs|json)$/.test(spec)) return whole;
    const target = resolve(dirname(file), spec);
    if (existsSync(`${target}.d.ts`)) return `${lead}${quote}${spec}.js${quote}`;
    if (existsSync(join(target, 'index.d.ts'))) return `${lead}${quote}${spec}/index.js${quote}`;
    throw new Error(`${file}: cannot resolve ${spec}`);
  });
  if (out !== text) {
    writeFileSync(file, out);
    changed++;
  }
}
console.log(`dts-extensions: ${changed} declaration files given .js import extensions`);
