/**
 * Test fixtures for the update channel: a key pool, a simulated publisher that produces signed releases in memory,
 * and an in-memory static server behind an injectable `fetch` (with ETags, Content-Length, endless streams).
 */
import { generateSigningKey, type SigningKey } from '../../../tools/lib/keys';
import { randomAdapter } from '../../../tools/lib/random-adapter';
import {
  buildRoot, buildTargets, buildTimestamp, documentBytes, isoSeconds, sha256, signDocument, type SignedDocument,
} from '../../../tools/lib/sign-metadata';
import type { KeyType, TargetFile, TargetsSigned, TimestampSigned } from '../../../workers/adapters/metadata';
import type { ModelBinding } from '../../../workers/adapters/verify';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const T0 = Date.UTC(2025, 0, 1);

/** A small model: rank 2, three targets, 16 items of 8 dimensions (item-table updates bind to `baseItems`). */
export const MODEL: ModelBinding = {
  baseModel: 'a'.repeat(64),
  lora: {
    rank: 2,
    targets: [
      { name: 'block0.attn.q', in: 8, out: 8 },
      { name: 'block0.attn.v', in: 8, out: 8 },
      { name: 'block0.ffn.1', in: 8, out: 16 },
    ],
  },
  numItems: 16,
  dim: 8,
  baseItems: 'c'.repeat(64),
};
export const OTHER_BASE = 'b'.repeat(64);

const pools = new Map<KeyType, SigningKey[]>();
/** The `i`-th key of a fixed pool (generated once per test file). */
export function poolKey(type: KeyType, i: number): SigningKey {
  let pool = pools.get(type);
  if (!pool) pools.set(type, (pool = []));
  while (pool.length <= i) pool.push(generateSigningKey(type));
  return pool[i]!;
}

/** One published state of the channel. */
export interface Release {
  readonly tsVersion: number;
  readonly targetsVersion: number;
  readonly tsExpiresMs: number;
  readonly targetsExpiresMs: number;
  readonly timestamp: Uint8Array;
  readonly targets: Uint8Array;
  /** Path and bytes of the adapter for {@link MODEL}'s base model (absent in an other-base release). */
  readonly adapterPath?: string;
  readonly adapter?: Uint8Array;
  readonly adapterSha?: string;
  readonly targetsSigned: TargetsSigned;
}

/** Key configuration of a simulated channel. */
export interface ChannelKeys {
  readonly root: SigningKey[];
  readonly targets: SigningKey[];
  readonly timestamp: SigningKey[];
  readonly thresholds: { root: number; targets: number; timestamp: number };
}

/** Publisher that keeps the counters and signs releases with its honest keys. */
export class SimPublisher {
  readonly rootBytes: Uint8Array;
  readonly releases: Release[] = [];
  tsVersion = 0;
  targetsVersion = 0;
  adapterVersion = 0;
  private entries: Record<string, TargetFile> = {};
  private adapters = new Map<string, Uint8Array>();

  constructor(
    readonly keys: ChannelKeys,
    private readonly random: () => number,
    readonly ttl = { timestamp: DAY, targets: 7 * DAY },
  ) {
    const root = buildRoot(1, isoSeconds(T0 + 3650 * DAY), {
      root: { keys: keys.root, threshold: keys.thresholds.root },
      targets: { keys: keys.targets, threshold: keys.thresholds.targets },
      timestamp: { keys: keys.timestamp, threshold: keys.thresholds.timestamp },
    });
    this.rootBytes = documentBytes(signDocument(root, keys.root));
  }

  get latest(): Release | undefined {
    return this.releases.at(-1);
  }

  /** A new adapter for `baseModel` (default: {@link MODEL}'s): targets N+1, timestamp M+1. */
  publishAdapter(now: number, baseModel = MODEL.baseModel): Release {
    this.adapterVersion += 1;
    // half the releases are item-table updates (format version 2): they go through the same checks
    const items = this.random() < 0.5 ? { rows: 1 + Math.floor(this.random() * 4), newItems: Math.floor(this.random() * 3), removed: Math.floor(this.random() * 2) } : undefined;
    const bytes = randomAdapter({ ...MODEL, baseModel }, this.adapterVersion, this.random, { itemBias: this.random() < 0.5, ...(items ? { items } : {}) });
    const digest = sha256(bytes);
    const path = `adapters/${digest}.lsad`;
    for (const [p, f] of Object.entries(this.entries)) if (f.baseModel === baseModel) delete this.entries[p];
    this.entries[path] = { length: bytes.length, sha256: digest, baseModel, adapterVersion: this.adapterVersion };
    this.adapters.set(path, bytes);
    return this.sign(now, true);
  }

  /** Timestamp-only refresh (re-signs targets too when they would expire within a timestamp lifetime). */
  refresh(now: number): Release {
    const prev = this.latest!;
    return this.sign(now, prev.targetsExpiresMs - now <= this.ttl.timestamp);
  }

  /**
   * A release signed with the honest keys from a sibling channel: its targets list only an adapter for
   * `OTHER_BASE`. Consumes versions but is not recorded as this channel's latest.
   */
  siblingRelease(now: number): Release {
    this.adapterVersion += 1;
    const bytes = randomAdapter({ ...MODEL, baseModel: OTHER_BASE }, this.adapterVersion, this.random);
    const digest = sha256(bytes);
    const path = `adapters/${digest}.lsad`;
    this.adapters.set(path, bytes);
    const entries = { [path]: { length: bytes.length, sha256: digest, baseModel: OTHER_BASE, adapterVersion: this.adapterVersion } };
    const targets = buildTargets(this.targetsVersion + 1, isoSeconds(now + this.ttl.targets), entries);
    return this.sign(now, true, { targets, record: false });
  }

  /** Signs the next release; `override.targets` replaces the targets body, `record: false` keeps it out of history. */
  sign(now: number, newTargets: boolean, override: { targets?: TargetsSigned; record?: boolean } = {}): Release {
    const prev = this.latest;
    let targets = prev?.targets;
    let targetsSigned = prev?.targetsSigned;
    let targetsExpiresMs = prev?.targetsExpiresMs ?? 0;
    let targetsVersion = prev?.targetsVersion ?? 0;
    if (newTargets || !prev) {
      targetsVersion = this.targetsVersion += 1;
      targetsExpiresMs = now + this.ttl.targets;
      targetsSigned = override.targets ?? buildTargets(targetsVersion, isoSeconds(targetsExpiresMs), { ...this.entries });
      targets = documentBytes(signDocument(targetsSigned, this.keys.targets.slice(0, this.keys.thresholds.targets)));
    }
    this.tsVersion += 1;
    const tsExpiresMs = now + this.ttl.timestamp;
    const ts = buildTimestamp(this.tsVersion, isoSeconds(tsExpiresMs), targetsVersion, targets!);
    const timestamp = documentBytes(signDocument(ts, this.keys.timestamp.slice(0, this.keys.thresholds.timestamp)));
    const own = Object.entries(targetsSigned!.targets).find(([, f]) => f.baseModel === MODEL.baseModel);
    const release: Release = {
      tsVersion: this.tsVersion, targetsVersion, tsExpiresMs, targetsExpiresMs,
      timestamp, targets: targets!, targetsSigned: targetsSigned!,
      ...(own ? { adapterPath: own[0], adapter: this.adapters.get(own[0])!, adapterSha: own[1].sha256 } : {}),
    };
    if (override.record !== false) this.releases.push(release);
    return release;
  }

  /** Adapter bytes published at `path`. */
  adapterAt(path: string): Uint8Array {
    return this.adapters.get(path)!;
  }

  /** Files of a release as a static server would hold them. */
  files(release: Release): Map<string, ServedFile> {
    const files = new Map<string, ServedFile>();
    files.set('timestamp.json', { bytes: release.timestamp });
    files.set(`targets/${release.targetsVersion}.json`, { bytes: release.targets });
    for (const [path] of Object.entries(release.targetsSigned.targets)) files.set(path, { bytes: this.adapters.get(path)! });
    return files;
  }
}

/** Builds and signs a timestamp with arbitrary keys (attacks with a compromised or foreign key). */
export function signTimestamp(ts: TimestampSigned, keys: readonly SigningKey[]): SignedDocument<TimestampSigned> {
  return signDocument(ts, keys);
}

/** A file as the fake server serves it. */
export interface ServedFile {
  readonly bytes?: Uint8Array;
  /** Stream forever (endless-data attack). */
  readonly endless?: boolean;
  /** Omit Content-Length (the reader must still stop). @defaultValue false */
  readonly hideLength?: boolean;
}

/** What the fake server observed. */
export interface FakeServerLog {
  readonly requests: { url: string; init: RequestInit }[];
  /** Number of streams the client cancelled before the end. */
  cancelled: number;
  /** Bytes the server actually pushed into streams. */
  bytesSent: number;
}

/** An injectable `fetch` over a map of files, with strong ETags and 304 (unless `honourEtag` is false). */
export function fakeFetch(
  files: () => Map<string, ServedFile>,
  baseUrl: string,
  options: { honourEtag?: boolean; chunk?: number } = {},
): { fetch: (url: string, init: RequestInit) => Promise<Response>; log: FakeServerLog } {
  const log: FakeServerLog = { requests: [], cancelled: 0, bytesSent: 0 };
  const chunk = options.chunk ?? 4096;
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    log.requests.push({ url, init });
    const file = files().get(url.slice(baseUrl.length));
    if (!file) return new Response('not found', { status: 404 });
    const etag = file.bytes ? `"${sha256(file.bytes)}"` : '"endless"';
    const inm = (init.headers as Record<string, string> | undefined)?.['If-None-Match'];
    if ((options.honourEtag ?? true) && inm === etag) return new Response(null, { status: 304, headers: { ETag: etag } });
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (file.endless) {
          await new Promise((resolve) => setTimeout(resolve, 0)); // like a network: data arrives in macrotasks
          controller.enqueue(new Uint8Array(chunk).fill(0x20));
          log.bytesSent += chunk;
          return;
        }
        const bytes = file.bytes!;
        if (at >= bytes.length) return controller.close();
        const part = bytes.slice(at, at + chunk);
        at += part.length;
        log.bytesSent += part.length;
        controller.enqueue(part);
      },
      cancel() {
        log.cancelled += 1;
      },
    });
    const headers: Record<string, string> = { ETag: etag };
    if (file.bytes && !file.hideLength) headers['Content-Length'] = String(file.bytes.length);
    return new Response(stream, { status: 200, headers });
  };
  return { fetch, log };
}
