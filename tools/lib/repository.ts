/**
 * A channel repository on disk (Node only): the static files a server or CDN publishes.
 *
 *   root.json              newest root (what a new app release pins)
 *   roots/<n>.json         every root version: the rotation chain, immutable
 *   targets/<n>.json       targets metadata, immutable
 *   adapters/<sha256>.lsad adapter files, content-addressed, immutable
 *   timestamp.json         short-lived, re-signed often; written last: it is the commit point
 *
 * Every write is atomic (temp file + rename) and every publish is verified with the client's own verifier before
 * `timestamp.json` changes, so a misconfigured threshold never reaches clients.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAdapter, type AdapterExpectations } from '../../workers/adapters/format';
import { parseMetadata, type RootSigned, type TargetFile, type TargetsSigned, type TimestampSigned } from '../../workers/adapters/metadata';
import { loadTrustedRoot, rotateRoot } from '../../workers/adapters/root';
import { INITIAL_VERSIONS, verifyTimestamp, verifyUpdate } from '../../workers/adapters/verify';
import type { SigningKey } from './keys';
import { buildTargets, buildTimestamp, documentBytes, isoSeconds, sha256, signDocument } from './sign-metadata';

/** Writes a new root version (1 for a new channel, else newest + 1) after checking clients will accept it. */
export async function publishRoot(repo: string, signed: RootSigned, signers: readonly SigningKey[]): Promise<Uint8Array> {
  const current = readOptional(join(repo, 'root.json'));
  const expected = current ? parseMetadata(current, 'root').signed.version + 1 : 1;
  if (signed.version !== expected) throw new Error(`root version must be ${expected}, got ${signed.version}`);
  const bytes = documentBytes(signDocument(signed, signers));
  if (current) await rotateRoot(await loadTrustedRoot(current), bytes);
  else await loadTrustedRoot(bytes);
  writeAtomic(join(repo, 'roots', `${signed.version}.json`), bytes, { immutable: true });
  writeAtomic(join(repo, 'root.json'), bytes);
  return bytes;
}

/** Options of {@link publishAdapter}. */
export interface PublishAdapterOptions {
  /** The adapter file (`.lsad`). */
  readonly adapter: Uint8Array;
  /** The base model it must fit: its LoRA spec, item count and `sha256["encoder.int8.onnx"]`. */
  readonly model: AdapterExpectations & { readonly baseModel: string };
  readonly targetsKeys: readonly SigningKey[];
  readonly timestampKeys: readonly SigningKey[];
  readonly targetsTtlMs: number;
  readonly timestampTtlMs: number;
  /** @defaultValue `Date.now()` */
  readonly now?: number;
}

/** What a publish wrote. */
export interface PublishResult {
  readonly path: string;
  readonly targetsVersion: number;
  readonly timestampVersion: number;
}

/**
 * Publishes an adapter: copies it to `adapters/<sha256>.lsad`, writes targets `N+1` (replacing the entry for the
 * same base model, keeping other base models' entries) and a new timestamp. Refuses an adapter that does not fit
 * the model, is bound to another base model, or whose version is not above the one it replaces.
 */
export async function publishAdapter(repo: string, options: PublishAdapterOptions): Promise<PublishResult> {
  const now = options.now ?? Date.now();
  const header = parseAdapter(options.adapter, options.model).header;
  if (header.baseModel !== options.model.baseModel) throw new Error('adapter header names another base model than the manifest');
  const { timestamp, targets } = readCurrent(repo);
  const entries: Record<string, TargetFile> = {};
  for (const [path, file] of Object.entries(targets?.targets ?? {})) {
    if (file.baseModel !== header.baseModel) entries[path] = file;
    else if (file.adapterVersion >= header.adapterVersion) {
      throw new Error(`adapter version ${header.adapterVersion} is not above the published ${file.adapterVersion}`);
    }
  }
  const digest = sha256(options.adapter);
  const path = `adapters/${digest}.lsad`;
  entries[path] = { length: options.adapter.length, sha256: digest, baseModel: header.baseModel, adapterVersion: header.adapterVersion };
  const targetsVersion = (targets?.version ?? 0) + 1;
  const targetsBytes = documentBytes(signDocument(buildTargets(targetsVersion, isoSeconds(now + options.targetsTtlMs), entries), options.targetsKeys));
  const timestampVersion = (timestamp?.version ?? 0) + 1;
  const tsBytes = documentBytes(
    signDocument(buildTimestamp(timestampVersion, isoSeconds(now + options.timestampTtlMs), targetsVersion, targetsBytes), options.timestampKeys),
  );
  const root = await loadTrustedRoot(readFileSync(join(repo, 'root.json')));
  await verifyUpdate({ timestamp: tsBytes, targets: targetsBytes, adapter: options.adapter }, { root, trusted: INITIAL_VERSIONS, now }, options.model);
  writeAtomic(join(repo, path), options.adapter, { immutable: true });
  writeAtomic(join(repo, 'targets', `${targetsVersion}.json`), targetsBytes, { immutable: true });
  writeAtomic(join(repo, 'timestamp.json'), tsBytes);
  return { path, targetsVersion, timestampVersion };
}

/** Re-signs the timestamp (version + 1, new expiry) over the current targets. Run it from a scheduler. */
export async function refreshTimestamp(repo: string, keys: readonly SigningKey[], ttlMs: number, now = Date.now()): Promise<number> {
  const { timestamp } = readCurrent(repo);
  if (!timestamp) throw new Error('nothing published yet: publish an adapter first');
  const targetsBytes = readFileSync(join(repo, 'targets', `${timestamp.targets.version}.json`));
  const version = timestamp.version + 1;
  const bytes = documentBytes(signDocument(buildTimestamp(version, isoSeconds(now + ttlMs), timestamp.targets.version, targetsBytes), keys));
  const root = await loadTrustedRoot(readFileSync(join(repo, 'root.json')));
  await verifyTimestamp(bytes, { root, trusted: INITIAL_VERSIONS, now });
  writeAtomic(join(repo, 'timestamp.json'), bytes);
  return version;
}

/** The current timestamp and targets of a repository (unverified: the publisher's own files). */
export function readCurrent(repo: string): { timestamp?: TimestampSigned; targets?: TargetsSigned } {
  const ts = readOptional(join(repo, 'timestamp.json'));
  if (!ts) return {};
  const timestamp = parseMetadata(ts, 'timestamp').signed;
  const targets = parseMetadata(readFileSync(join(repo, 'targets', `${timestamp.targets.version}.json`)), 'targets').signed;
  return { timestamp, targets };
}

function readOptional(path: string): Uint8Array | undefined {
  return existsSync(path) ? readFileSync(path) : undefined;
}

function writeAtomic(path: string, bytes: Uint8Array, options: { immutable?: boolean } = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  if (options.immutable && existsSync(path)) {
    if (Buffer.compare(readFileSync(path), bytes) === 0) return;
    throw new Error(`${path} exists with other content; published files are immutable`);
  }
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}
