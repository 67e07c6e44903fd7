/**
 * Publishes to an update-channel repository (layout in tools/lib/repository.ts, docs/update-channel.md).
 *
 *   npx tsx tools/publish.ts root --repo DIR --root-key PUB... --targets-key PUB... --timestamp-key PUB...
 *       [--threshold root=1,targets=1,timestamp=1] [--expires 365d] --sign-with KEY...
 *   npx tsx tools/publish.ts adapter --repo DIR --manifest manifest.json --file adapter.lsad
 *       --targets-sign KEY... --timestamp-sign KEY... [--targets-expires 30d] [--timestamp-expires 1d]
 *   npx tsx tools/publish.ts timestamp --repo DIR --timestamp-sign KEY... [--timestamp-expires 1d]
 *
 * `PUB` is a `.pub.json` or `.key.json` file, `KEY` a `.key.json` file. A root rotation (`root` on a repository
 * that has one) must be signed by a threshold of the old root keys and of the new ones: pass both in
 * `--sign-with`. Every command checks its output with the client verifier before publishing it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { KeyType } from '../workers/adapters/metadata';
import { readKeyFile, type SigningKey } from './lib/keys';
import { publishAdapter, publishRoot, readCurrent, refreshTimestamp } from './lib/repository';
import { buildRoot, isoSeconds, parseDuration } from './lib/sign-metadata';

type PublicKey = Pick<SigningKey, 'keyid' | 'keytype' | 'public'>;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    repo: { type: 'string' },
    'root-key': { type: 'string', multiple: true },
    'targets-key': { type: 'string', multiple: true },
    'timestamp-key': { type: 'string', multiple: true },
    threshold: { type: 'string', default: 'root=1,targets=1,timestamp=1' },
    expires: { type: 'string', default: '365d' },
    'sign-with': { type: 'string', multiple: true },
    manifest: { type: 'string' },
    file: { type: 'string' },
    'targets-sign': { type: 'string', multiple: true },
    'timestamp-sign': { type: 'string', multiple: true },
    'targets-expires': { type: 'string', default: '30d' },
    'timestamp-expires': { type: 'string', default: '1d' },
  },
});

function need<T>(value: T | undefined, flag: string): T {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) throw new Error(`missing --${flag}`);
  return value;
}

function readPublic(path: string): PublicKey {
  const k = JSON.parse(readFileSync(path, 'utf8')) as { keytype: KeyType; keyid: string; public: string };
  return { keytype: k.keytype, keyid: k.keyid, public: k.public };
}

function thresholds(spec: string): Record<'root' | 'targets' | 'timestamp', number> {
  const out = { root: 1, targets: 1, timestamp: 1 };
  for (const part of spec.split(',')) {
    const [role, n] = part.split('=');
    if (!(role === 'root' || role === 'targets' || role === 'timestamp') || !/^\d+$/.test(n ?? '')) throw new Error(`bad --threshold ${spec}`);
    out[role] = Number(n);
  }
  return out;
}

async function main(): Promise<void> {
  const [command] = positionals;
  const repo = need(values.repo, 'repo');
  if (command === 'root') {
    const t = thresholds(values.threshold);
    const roles = {
      root: { keys: need(values['root-key'], 'root-key').map(readPublic), threshold: t.root },
      targets: { keys: need(values['targets-key'], 'targets-key').map(readPublic), threshold: t.targets },
      timestamp: { keys: need(values['timestamp-key'], 'timestamp-key').map(readPublic), threshold: t.timestamp },
    };
    let version = 1;
    try {
      version = JSON.parse(readFileSync(join(repo, 'root.json'), 'utf8')).signed.version + 1;
    } catch {
      /* new channel */
    }
    const signed = buildRoot(version, isoSeconds(Date.now() + parseDuration(values.expires)), roles);
    await publishRoot(repo, signed, need(values['sign-with'], 'sign-with').map(readKeyFile));
    console.log(`root v${version} published`);
  } else if (command === 'adapter') {
    const manifest = JSON.parse(readFileSync(need(values.manifest, 'manifest'), 'utf8'));
    const baseModel = manifest?.sha256?.['encoder.int8.onnx'];
    if (typeof baseModel !== 'string' || !manifest.lora) throw new Error('manifest needs sha256["encoder.int8.onnx"] and lora');
    // item-table updates are checked against the folder's items.lsim hash and catalog ids too
    const catalogPath = join(dirname(need(values.manifest, 'manifest')), manifest.files?.catalog ?? 'catalog.json');
    const ids = new Set<string>(existsSync(catalogPath) ? JSON.parse(readFileSync(catalogPath, 'utf8')).items.map((i: { id: string }) => i.id) : []);
    const result = await publishAdapter(repo, {
      adapter: readFileSync(need(values.file, 'file')),
      model: {
        baseModel, lora: manifest.lora, numItems: manifest.numItems, dim: manifest.dim,
        ...(manifest.sha256['items.lsim'] ? { baseItems: manifest.sha256['items.lsim'] } : {}),
        hasItem: (id: string) => ids.has(id),
      },
      targetsKeys: need(values['targets-sign'], 'targets-sign').map(readKeyFile),
      timestampKeys: need(values['timestamp-sign'], 'timestamp-sign').map(readKeyFile),
      targetsTtlMs: parseDuration(values['targets-expires']),
      timestampTtlMs: parseDuration(values['timestamp-expires']),
    });
    console.log(`${result.path}: targets v${result.targetsVersion}, timestamp v${result.timestampVersion}`);
  } else if (command === 'timestamp') {
    const keys = need(values['timestamp-sign'], 'timestamp-sign').map(readKeyFile);
    const version = await refreshTimestamp(repo, keys, parseDuration(values['timestamp-expires']));
    console.log(`timestamp v${version} (targets v${readCurrent(repo).timestamp?.targets.version})`);
  } else {
    throw new Error('usage: publish.ts root|adapter|timestamp --repo DIR ... (see the header of tools/publish.ts)');
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
