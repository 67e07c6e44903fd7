/**
 * Attack builders for the attack suite: each takes the simulated world (publisher, client state, clock) and
 * returns what the attacker serves plus the error code(s) the client must answer with. `null` when the attack does
 * not apply to the current state.
 */
import type { ErrorCode } from '../../../src/errors';
import type { SigningKey } from '../../../tools/lib/keys';
import { randomAdapter } from '../../../tools/lib/random-adapter';
import { buildTargets, buildTimestamp, documentBytes, isoSeconds, sha256, signDocument } from '../../../tools/lib/sign-metadata';
import type { TimestampSigned } from '../../../workers/adapters/metadata';
import type { ChannelState } from '../../../workers/adapters/update';
import { DAY, HOUR, MODEL, type Release, type ServedFile, type SimPublisher } from './channel-fixture';

/** The world an attack sees. `now` may be moved forward by the attack (freeze attacks wait). */
export interface World {
  readonly publisher: SimPublisher;
  readonly state: ChannelState;
  readonly rng: () => number;
  now: number;
  /** Keys the attacker holds: the online timestamp key and `threshold - 1` targets keys. */
  readonly compromised: { readonly timestamp: SigningKey; readonly targets: readonly SigningKey[] };
  readonly foreign: SigningKey;
}

/** What an attack serves and what the client must say. */
export interface AttackPlan {
  readonly served: Map<string, ServedFile>;
  readonly codes: readonly ErrorCode[];
}

type Attack = (w: World) => AttackPlan | null;

const pick = <T>(rng: () => number, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Replaces one hex digit at `index` of `s` with a different lowercase hex digit. */
function flipHexAt(s: string, index: number, rng: () => number): string {
  const digits = '0123456789abcdef'.replace(s[index]!, '');
  return s.slice(0, index) + pick(rng, [...digits]) + s.slice(index + 1);
}

function flipByte(b: Uint8Array, rng: () => number): Uint8Array {
  const out = b.slice();
  out[Math.floor(rng() * out.length)]! ^= 1 + Math.floor(rng() * 255);
  return out;
}

/** A fresh honest release the attacker then interferes with. */
function fresh(w: World): { release: Release; served: Map<string, ServedFile> } {
  const release = w.publisher.publishAdapter(w.now);
  return { release, served: w.publisher.files(release) };
}

/** Timestamp signed by the attacker's compromised timestamp key, pointing at `targets`. */
function evilTimestamp(w: World, targetsVersion: number, targets: Uint8Array): Uint8Array {
  const ts = buildTimestamp(w.state.versions.timestamp + 1 + Math.floor(w.rng() * 3), isoSeconds(w.now + DAY), targetsVersion, targets);
  return documentBytes(signDocument(ts, [w.compromised.timestamp]));
}

/** Targets listing a malicious adapter, signed by `signers` (entries may repeat a key). */
function evilTargets(w: World, signers: readonly SigningKey[]): Map<string, ServedFile> {
  const adapter = randomAdapter(MODEL, 999, w.rng, { scale: 5 });
  const path = `adapters/${sha256(adapter)}.lsad`;
  const version = w.state.versions.targets + 1;
  const signed = buildTargets(version, isoSeconds(w.now + 7 * DAY), {
    [path]: { length: adapter.length, sha256: sha256(adapter), baseModel: MODEL.baseModel, adapterVersion: 999 },
  });
  const message = signDocument(signed, []);
  // Sign entry by entry so a repeated key yields repeated signature entries.
  const signatures = signers.flatMap((k) => signDocument(signed, [k]).signatures);
  const targets = documentBytes({ ...message, signatures });
  return new Map<string, ServedFile>([
    ['timestamp.json', { bytes: evilTimestamp(w, version, targets) }],
    [`targets/${version}.json`, { bytes: targets }],
    [path, { bytes: adapter }],
  ]);
}

/** Every attack of the suite, by name. */
export const ATTACKS: Record<string, Attack> = {
  'rollback-replay': (w) => {
    const old = w.publisher.releases.filter((r) => r.tsVersion < w.state.versions.timestamp);
    return old.length ? { served: w.publisher.files(pick(w.rng, old)), codes: ['ADAPTER_ROLLBACK'] } : null;
  },
  'rollback-compromised-timestamp': (w) => {
    const old = w.publisher.releases.filter((r) => r.targetsVersion < w.state.versions.targets);
    if (!old.length) return null;
    const r = pick(w.rng, old);
    const served = w.publisher.files(r);
    served.set('timestamp.json', { bytes: evilTimestamp(w, r.targetsVersion, r.targets) });
    return { served, codes: ['ADAPTER_ROLLBACK'] };
  },
  'freeze-replay': (w) => {
    const latest = w.publisher.latest!;
    w.now = Math.max(w.now, latest.tsExpiresMs + Math.floor(w.rng() * DAY));
    return { served: w.publisher.files(latest), codes: ['ADAPTER_EXPIRED'] };
  },
  'freeze-withheld': (w) => {
    const { release, served } = fresh(w);
    w.now = release.tsExpiresMs + 1 + Math.floor(w.rng() * HOUR);
    return { served, codes: ['ADAPTER_EXPIRED'] };
  },
  'freeze-stale-targets': (w) => {
    const active = w.state.active;
    if (!active || active.targetsVersion !== w.state.versions.targets) return null;
    const r = w.publisher.releases.find((x) => x.targetsVersion === active.targetsVersion)!;
    w.now = Math.max(w.now, r.targetsExpiresMs + Math.floor(w.rng() * DAY));
    const served = w.publisher.files(r);
    served.set('timestamp.json', { bytes: evilTimestamp(w, r.targetsVersion, r.targets) });
    return { served, codes: ['ADAPTER_EXPIRED'] };
  },
  'mix-other-base-model': (w) => ({ served: w.publisher.files(w.publisher.siblingRelease(w.now)), codes: ['ADAPTER_BASE_MISMATCH'] }),
  'mix-other-adapter-file': (w) => {
    const olds = w.publisher.releases.filter((r) => r.adapter);
    if (!olds.length) return null;
    const old = pick(w.rng, olds).adapter!;
    const { release, served } = fresh(w);
    served.set(release.adapterPath!, { bytes: old });
    return { served, codes: [old.length > release.adapter!.length ? 'ADAPTER_TOO_LARGE' : 'ADAPTER_HASH_MISMATCH'] };
  },
  'mix-other-targets': (w) => {
    const olds = w.publisher.releases;
    if (!olds.length) return null;
    const old = pick(w.rng, olds).targets;
    const { release, served } = fresh(w);
    served.set(`targets/${release.targetsVersion}.json`, { bytes: old });
    return { served, codes: [old.length > release.targets.length ? 'ADAPTER_TOO_LARGE' : 'ADAPTER_HASH_MISMATCH'] };
  },
  'tamper-timestamp-hash': (w) => {
    const { release, served } = fresh(w);
    const s = text(release.timestamp);
    const at = s.indexOf('"sha256":"') + 10 + Math.floor(w.rng() * 64);
    served.set('timestamp.json', { bytes: bytes(flipHexAt(s, at, w.rng)) });
    return { served, codes: ['ADAPTER_SIGNATURE'] };
  },
  'tamper-timestamp-signature': (w) => {
    const { release, served } = fresh(w);
    const s = text(release.timestamp);
    const at = s.indexOf('"sig":"') + 7 + Math.floor(w.rng() * 128);
    served.set('timestamp.json', { bytes: bytes(flipHexAt(s, at, w.rng)) });
    return { served, codes: ['ADAPTER_SIGNATURE'] };
  },
  'tamper-timestamp-byte': (w) => {
    const { release, served } = fresh(w);
    served.set('timestamp.json', { bytes: flipByte(release.timestamp, w.rng) });
    return { served, codes: ['ADAPTER_SIGNATURE', 'ADAPTER_MALFORMED'] };
  },
  'tamper-targets-byte': (w) => {
    const { release, served } = fresh(w);
    served.set(`targets/${release.targetsVersion}.json`, { bytes: flipByte(release.targets, w.rng) });
    return { served, codes: ['ADAPTER_HASH_MISMATCH'] };
  },
  'tamper-adapter-byte': (w) => {
    const { release, served } = fresh(w);
    served.set(release.adapterPath!, { bytes: flipByte(release.adapter!, w.rng) });
    return { served, codes: ['ADAPTER_HASH_MISMATCH'] };
  },
  'oversized-adapter': (w) => {
    const { release, served } = fresh(w);
    const extra = new Uint8Array(1 + Math.floor(w.rng() * 10_000));
    const big = new Uint8Array([...release.adapter!, ...extra]);
    served.set(release.adapterPath!, { bytes: big, hideLength: w.rng() < 0.5 });
    return { served, codes: ['ADAPTER_TOO_LARGE'] };
  },
  'endless-stream': (w) => {
    const { release, served } = fresh(w);
    const which = pick(w.rng, ['timestamp.json', `targets/${release.targetsVersion}.json`, release.adapterPath!]);
    served.set(which, { endless: true });
    return { served, codes: ['ADAPTER_TOO_LARGE'] };
  },
  'wrong-key-timestamp': (w) => {
    const { release, served } = fresh(w);
    const doc = JSON.parse(text(release.timestamp)) as { signed: TimestampSigned };
    const signed = signDocument(doc.signed, [w.foreign]);
    if (w.rng() < 0.5) {
      // Claim the legitimate key's id for the foreign signature.
      const real = w.publisher.keys.timestamp[0]!.keyid;
      signed.signatures[0] = { keyid: real, sig: signed.signatures[0]!.sig };
    }
    served.set('timestamp.json', { bytes: documentBytes(signed) });
    return { served, codes: ['ADAPTER_SIGNATURE'] };
  },
  'wrong-key-targets': (w) => ({ served: evilTargets(w, [...w.compromised.targets, w.foreign]), codes: ['ADAPTER_SIGNATURE'] }),
  'one-key-counted-twice': (w) => {
    const held = w.compromised.targets;
    if (held.length === 0) return null;
    const threshold = w.publisher.keys.thresholds.targets;
    const signers = Array.from({ length: threshold + 1 }, (_, i) => held[i % held.length]!);
    return { served: evilTargets(w, signers), codes: ['ADAPTER_SIGNATURE'] };
  },
};
