/** `verify.ts` and `root.ts` case by case: what the attack suite does not single out. */
import { describe, expect, it } from 'vitest';
import { encodeAdapter } from '../../../workers/adapters/format';
import { randomAdapterInput, seededRandom } from '../../../tools/lib/random-adapter';
import {
  buildRoot, buildTargets, buildTimestamp, documentBytes, isoSeconds, sha256, signDocument,
} from '../../../tools/lib/sign-metadata';
import { loadTrustedRoot } from '../../../workers/adapters/root';
import { INITIAL_VERSIONS, verifyTimestamp, verifyUpdate, type VerifyContext } from '../../../workers/adapters/verify';
import { rejectionCode } from '../rejection-code';
import { DAY, MODEL, OTHER_BASE, poolKey, SimPublisher, T0 } from './channel-fixture';

const code = rejectionCode;

const keys = (targetsType: 'ed25519' | 'ecdsa-p256' = 'ed25519', threshold = 2) => ({
  root: [poolKey('ed25519', 20)],
  targets: [poolKey(targetsType, 21), poolKey(targetsType, 22), poolKey(targetsType, 23)],
  timestamp: [poolKey('ed25519', 24)],
  thresholds: { root: 1, targets: threshold, timestamp: 1 },
});

async function setup(targetsType: 'ed25519' | 'ecdsa-p256' = 'ed25519') {
  const pub = new SimPublisher(keys(targetsType), seededRandom(7));
  const root = await loadTrustedRoot(pub.rootBytes);
  const ctx: VerifyContext = { root, trusted: INITIAL_VERSIONS, now: T0 };
  return { pub, root, ctx };
}

/** A release whose adapter is honestly signed but inconsistent with the signed target entry. */
function inconsistentRelease(pub: SimPublisher, header: { baseModel?: string; adapterVersion?: number }) {
  const adapter = encodeAdapter({ ...randomAdapterInput(MODEL, 1, seededRandom(3)), ...header });
  const path = `adapters/${sha256(adapter)}.lsad`;
  const targets = documentBytes(signDocument(buildTargets(1, isoSeconds(T0 + DAY), {
    [path]: { length: adapter.length, sha256: sha256(adapter), baseModel: MODEL.baseModel, adapterVersion: 1 },
  }), pub.keys.targets.slice(0, 2)));
  const timestamp = documentBytes(signDocument(buildTimestamp(1, isoSeconds(T0 + DAY), 1, targets), pub.keys.timestamp));
  return { timestamp, targets, adapter };
}

describe('verifyUpdate', () => {
  it('accepts an honest update and returns its tensors; then reports "current" for a timestamp refresh', async () => {
    const { pub, ctx } = await setup();
    const r1 = pub.publishAdapter(T0);
    const v = await verifyUpdate({ timestamp: r1.timestamp, targets: r1.targets, adapter: r1.adapter! }, ctx, MODEL);
    expect(v.status).toBe('updated');
    if (v.status !== 'updated') return;
    expect(v.versions).toEqual({ timestamp: 1, targets: 1 });
    expect(v.target.sha256).toBe(r1.adapterSha);
    expect(v.adapter.tensors.get('lora.block0.attn.q.A')!.dims).toEqual([2, 8]);
    const r2 = pub.refresh(T0 + 1000);
    const again = await verifyUpdate({ timestamp: r2.timestamp }, { ...ctx, trusted: v.versions, trustedTargetsExpires: v.target.targetsExpires }, MODEL);
    expect(again).toMatchObject({ status: 'current', versions: { timestamp: 2, targets: 1 } });
  });

  it('verifies ECDSA P-256 targets keys with the same code', async () => {
    const { pub, ctx } = await setup('ecdsa-p256');
    const r = pub.publishAdapter(T0);
    expect((await verifyUpdate({ timestamp: r.timestamp, targets: r.targets, adapter: r.adapter! }, ctx, MODEL)).status).toBe('updated');
  });

  it('ignores signatures by unknown keys as long as the threshold is met', async () => {
    const { pub, ctx } = await setup();
    const r = pub.publishAdapter(T0);
    const doc = JSON.parse(new TextDecoder().decode(r.timestamp));
    const extra = signDocument(doc.signed, [poolKey('ed25519', 30), poolKey('ed25519', 31)]).signatures;
    const ts = documentBytes({ signed: doc.signed, signatures: [...extra, ...doc.signatures] });
    await expect(verifyTimestamp(ts, ctx)).resolves.toMatchObject({ version: 1 });
  });

  it('does not count an uppercase-hex spelling of a valid signature', async () => {
    const { pub, ctx } = await setup();
    const doc = JSON.parse(new TextDecoder().decode(pub.publishAdapter(T0).timestamp));
    doc.signatures[0].sig = doc.signatures[0].sig.toUpperCase();
    expect(await code(verifyTimestamp(documentBytes(doc), ctx))).toBe('ADAPTER_SIGNATURE');
  });

  it('rejects an adapter whose header names another base model than its signed target (mix-and-match)', async () => {
    const { pub, ctx } = await setup();
    const files = inconsistentRelease(pub, { baseModel: OTHER_BASE });
    expect(await code(verifyUpdate(files, ctx, MODEL))).toBe('ADAPTER_BASE_MISMATCH');
  });

  it('rejects an adapter whose header version disagrees with targets', async () => {
    const { pub, ctx } = await setup();
    expect(await code(verifyUpdate(inconsistentRelease(pub, { adapterVersion: 9 }), ctx, MODEL))).toBe('ADAPTER_MALFORMED');
  });

  it('rejects an adapter that is correctly signed but bound to another running model', async () => {
    const { pub, ctx } = await setup();
    const r = pub.publishAdapter(T0);
    const running = { ...MODEL, baseModel: 'c'.repeat(64) };
    expect(await code(verifyUpdate({ timestamp: r.timestamp, targets: r.targets, adapter: r.adapter! }, ctx, running))).toBe('ADAPTER_BASE_MISMATCH');
  });

  it('rejects targets that declare more than maxAdapterBytes before downloading', async () => {
    const { pub, ctx } = await setup();
    const r = pub.publishAdapter(T0);
    const files = { timestamp: r.timestamp, targets: r.targets, adapter: r.adapter! };
    expect(await code(verifyUpdate(files, ctx, { ...MODEL, maxAdapterBytes: 100 }))).toBe('ADAPTER_TOO_LARGE');
  });

  it('rejects an oversized timestamp, an expired root, and a stale trusted targets', async () => {
    const { pub, ctx } = await setup();
    const r = pub.publishAdapter(T0);
    expect(await code(verifyTimestamp(new Uint8Array(17 * 1024), ctx))).toBe('ADAPTER_TOO_LARGE');
    expect(await code(verifyTimestamp(r.timestamp, { ...ctx, now: T0 + 3651 * DAY }))).toBe('ADAPTER_EXPIRED');
    const later = pub.refresh(T0 + 8 * DAY - 1);
    expect(later.targetsVersion).toBe(2); // the honest publisher re-signed targets in time
    const stale = { ...ctx, now: T0 + 8 * DAY, trusted: { timestamp: 1, targets: 1 }, trustedTargetsExpires: isoSeconds(T0 + 7 * DAY) };
    const frozen = documentBytes(signDocument(buildTimestamp(9, isoSeconds(T0 + 9 * DAY), 1, r.targets), pub.keys.timestamp));
    expect(await code(verifyUpdate({ timestamp: frozen }, stale, MODEL))).toBe('ADAPTER_EXPIRED');
  });

  it('requires targets and adapter bytes when the targets version is new', async () => {
    const { pub, ctx } = await setup();
    expect(await code(verifyUpdate({ timestamp: pub.publishAdapter(T0).timestamp }, ctx, MODEL))).toBe('INVALID_ARGUMENT');
  });
});

describe('loadTrustedRoot', () => {
  const k = poolKey('ed25519', 40);
  const roles = { root: { keys: [k], threshold: 1 }, targets: { keys: [k], threshold: 1 }, timestamp: { keys: [k], threshold: 1 } };

  it('loads a self-signed root from bytes, text or object', async () => {
    const doc = signDocument(buildRoot(1, isoSeconds(T0 + DAY), roles), [k]);
    for (const form of [documentBytes(doc), new TextDecoder().decode(documentBytes(doc)), doc]) {
      expect((await loadTrustedRoot(form)).signed.version).toBe(1);
    }
  });

  it('rejects a keyid that is not the hash of its key (one key under two ids would count twice)', async () => {
    const signed = buildRoot(1, isoSeconds(T0 + DAY), roles);
    const alias = 'f'.repeat(64);
    const forged = {
      ...signed,
      keys: { ...signed.keys, [alias]: signed.keys[k.keyid]! },
      roles: { ...signed.roles, targets: { keyids: [k.keyid, alias], threshold: 2 } },
    };
    expect(await code(loadTrustedRoot(signDocument(forged, [k])))).toBe('ADAPTER_MALFORMED');
  });

  it('rejects a root below its own root threshold, and one with an impossible threshold', async () => {
    const k2 = poolKey('ed25519', 41);
    const two = { ...roles, root: { keys: [k, k2], threshold: 2 } };
    expect(await code(loadTrustedRoot(signDocument(buildRoot(1, isoSeconds(T0 + DAY), two), [k])))).toBe('ADAPTER_SIGNATURE');
    const impossible = { ...roles, targets: { keys: [k], threshold: 2 } };
    expect(await code(loadTrustedRoot(signDocument(buildRoot(1, isoSeconds(T0 + DAY), impossible), [k])))).toBe('ADAPTER_MALFORMED');
  });
});
