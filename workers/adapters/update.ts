/**
 * One update check against a channel: root rotation chain → `timestamp.json` (conditional) → `targets/<v>.json`
 * → the selected adapter file. Combines `download.ts` and `verify.ts` and returns a new state object; the caller
 * persists it (IndexedDB, strict durability) and only then swaps the adapter in. On any error the caller's state
 * is untouched. Files and URLs: docs/update-channel.md, "Repository layout".
 *
 * Pure: no DOM; `fetch` is injectable. Run it under a Web Lock so two tabs never race on the counters.
 */
import { LocalshelfError } from '../../src/errors';
import { downloadBytes, type FetchLike } from './download';
import type { ParsedAdapter } from './format';
import { expiresAt } from './metadata';
import { assertRootFresh, loadTrustedRoot, MAX_ROOT_BYTES, rotateRoot, type TrustedRoot } from './root';
import {
  assertFresh, INITIAL_VERSIONS, MAX_TARGETS_BYTES, MAX_TIMESTAMP_BYTES, selectTarget, verifyTargetFile, verifyTargets,
  verifyTimestamp, type ModelBinding, type SelectedTarget, type TrustedVersions,
} from './verify';

/** Most root versions one check walks through. */
export const MAX_ROOT_ROTATIONS = 32;

/** What a client persists between checks: plain data, structured-clone safe. */
export interface ChannelState {
  /** JSON of the newest trusted root: the pinned root until a rotation replaces it. */
  readonly rootJson: string;
  /** Rollback counters. */
  readonly versions: TrustedVersions;
  /** The last verified timestamp: its ETag (for `If-None-Match`) and expiry (freeze check on a 304). */
  readonly timestamp?: { readonly version: number; readonly expires: string; readonly etag: string | null };
  /** The target of the active adapter; reload its cached bytes with `verifyTargetFile(bytes, active, model)`. */
  readonly active?: SelectedTarget;
}

/** Where the channel lives and what the running model needs. */
export interface ChannelConfig {
  /** Base URL of the channel, ending in `/` (e.g. `https://cdn.example.com/localshelf/beauty/`). */
  readonly baseUrl: string;
  readonly model: ModelBinding;
  /** @defaultValue `globalThis.fetch` */
  readonly fetch?: FetchLike;
  /** @defaultValue `Date.now` */
  readonly now?: () => number;
}

/** Result of {@link checkForUpdate}. Persist `state` when it differs from the one passed in. */
export type CheckResult =
  | { readonly status: 'current'; readonly state: ChannelState }
  | {
      readonly status: 'updated';
      readonly state: ChannelState;
      /** Verified, parsed tensors: safe to feed to onnxruntime. */
      readonly adapter: ParsedAdapter;
      /** The verified file, to cache on the device (reload it with `verifyTargetFile`). */
      readonly bytes: Uint8Array;
      readonly target: SelectedTarget;
    };

/** The first state of a client, from the root pinned in the app. */
export function initialChannelState(pinnedRoot: string | object): ChannelState {
  return { rootJson: typeof pinnedRoot === 'string' ? pinnedRoot : JSON.stringify(pinnedRoot), versions: INITIAL_VERSIONS };
}

/**
 * Checks the channel once. Resolves `'current'` when there is nothing new to swap in (the state may still have
 * advanced: a newer timestamp or root), `'updated'` with the verified adapter otherwise. Rejects with a
 * `LocalshelfError`: `NETWORK`, `ABORTED`, or an `ADAPTER_*` code naming the failed check.
 */
export async function checkForUpdate(config: ChannelConfig, state: ChannelState, signal?: AbortSignal): Promise<CheckResult> {
  if (!config.baseUrl.endsWith('/')) throw new LocalshelfError('INVALID_ARGUMENT', 'baseUrl must end with "/"');
  const now = config.now ?? Date.now;
  const get = (path: string, maxBytes: number, extra: { etag?: string; cache?: RequestCache; notFoundOk?: boolean } = {}) =>
    downloadBytes(new URL(path, config.baseUrl).href, { maxBytes, signal, fetch: config.fetch, ...extra });

  let root = await loadTrustedRoot(state.rootJson);
  let versions = state.versions;
  let tsCache = state.timestamp;
  for (let i = 0; i < MAX_ROOT_ROTATIONS; i++) {
    const next = await get(`roots/${root.signed.version + 1}.json`, MAX_ROOT_BYTES, { notFoundOk: true, cache: 'default' });
    if (next.status !== 'ok') break;
    const rotation = await rotateRoot(root, next.bytes);
    root = rotation.root;
    if (rotation.timestampKeysChanged) {
      versions = { ...versions, timestamp: 0 };
      tsCache = undefined;
    }
    if (rotation.targetsKeysChanged) versions = { ...versions, targets: 0 };
  }
  const { timestamp: _dropped, ...rest } = state;
  const base: ChannelState = { ...rest, rootJson: root.json, versions, ...(tsCache ? { timestamp: tsCache } : {}) };

  const tsEtag = tsCache?.etag ?? undefined;
  const tsFile = await get('timestamp.json', MAX_TIMESTAMP_BYTES, tsEtag === undefined ? {} : { etag: tsEtag });
  if (tsFile.status === 'not-modified') {
    assertRootFresh(root, now());
    assertCachedFresh(tsCache!, now());
    if (base.active) assertFresh('targets', base.active.targetsVersion, base.active.targetsExpires, now());
    return { status: 'current', state: base };
  }
  if (tsFile.status !== 'ok') throw new LocalshelfError('NETWORK', 'timestamp.json not found');
  const ctx = { root, trusted: versions, now: now() };
  const timestamp = await verifyTimestamp(tsFile.bytes, ctx);
  const afterTs: ChannelState = {
    ...base,
    versions: { ...versions, timestamp: timestamp.version },
    timestamp: { version: timestamp.version, expires: timestamp.expires, etag: tsFile.etag },
  };
  if (timestamp.targets.version === versions.targets) {
    if (base.active && base.active.targetsVersion === versions.targets) {
      assertFresh('targets', versions.targets, base.active.targetsExpires, ctx.now);
    }
    return { status: 'current', state: afterTs };
  }

  const ref = timestamp.targets;
  if (ref.length > MAX_TARGETS_BYTES) {
    throw new LocalshelfError('ADAPTER_TOO_LARGE', `targets: declared ${ref.length} bytes, limit ${MAX_TARGETS_BYTES}`);
  }
  const targetsFile = await get(`targets/${ref.version}.json`, ref.length, { cache: 'default' });
  if (targetsFile.status !== 'ok') throw new LocalshelfError('NETWORK', `targets/${ref.version}.json not found`);
  const targets = await verifyTargets(targetsFile.bytes, ref, ctx);
  const target = selectTarget(targets, config.model);
  const afterTargets: ChannelState = { ...afterTs, versions: { timestamp: timestamp.version, targets: targets.version } };
  if (state.active && state.active.sha256 === target.sha256 && state.active.path === target.path) {
    return { status: 'current', state: { ...afterTargets, active: target } };
  }
  const adapterFile = await get(target.path, target.length, { cache: 'default' });
  if (adapterFile.status !== 'ok') throw new LocalshelfError('NETWORK', `${target.path} not found`);
  const adapter = await verifyTargetFile(adapterFile.bytes, target, config.model);
  return { status: 'updated', state: { ...afterTargets, active: target }, adapter, bytes: adapterFile.bytes, target };
}

/**
 * Downloads the active adapter again (its cached copy is gone) and verifies it against the stored target: exact
 * length, SHA-256, format and base model. Expiry is not re-checked: the adapter was verified when installed.
 * Rejects like {@link checkForUpdate}; `INVALID_ARGUMENT` when the state has no active adapter.
 */
export async function fetchActiveAdapter(config: ChannelConfig, state: ChannelState, signal?: AbortSignal): Promise<{ adapter: ParsedAdapter; bytes: Uint8Array }> {
  const target = state.active;
  if (!target) throw new LocalshelfError('INVALID_ARGUMENT', 'no active adapter in this state');
  const file = await downloadBytes(new URL(target.path, config.baseUrl).href, { maxBytes: target.length, signal, fetch: config.fetch, cache: 'default' });
  if (file.status !== 'ok') throw new LocalshelfError('NETWORK', `${target.path} not found`);
  return { adapter: await verifyTargetFile(file.bytes, target, config.model), bytes: file.bytes };
}

/** Loads the trusted root a state holds (e.g. to inspect its version or expiry). */
export function loadStateRoot(state: ChannelState): Promise<TrustedRoot> {
  return loadTrustedRoot(state.rootJson);
}

function assertCachedFresh(ts: NonNullable<ChannelState['timestamp']>, now: number): void {
  if (now >= expiresAt(ts.expires)) {
    throw new LocalshelfError('ADAPTER_EXPIRED', `timestamp v${ts.version} expired at ${ts.expires} and the server sends no newer one`);
  }
}
