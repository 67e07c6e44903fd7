/** Key rotation: clients walk `roots/<n>.json`, each signed by the old and the new root keys. */
import { describe, expect, it } from 'vitest';
import { rejectionCode } from '../rejection-code';
import type { SigningKey } from '../../../tools/lib/keys';
import { seededRandom } from '../../../tools/lib/random-adapter';
import { buildRoot, documentBytes, isoSeconds, signDocument } from '../../../tools/lib/sign-metadata';
import { checkForUpdate, initialChannelState, type ChannelState } from '../../../workers/adapters/update';
import { DAY, fakeFetch, MODEL, poolKey, SimPublisher, T0, type ServedFile } from './channel-fixture';

const BASE = 'https://updates.example/ch/';
const [oldRoot, newRoot, tsOld, tsNew, tg] = [50, 51, 52, 53, 54].map((i) => poolKey('ed25519', i)) as SigningKey[] as [
  SigningKey, SigningKey, SigningKey, SigningKey, SigningKey,
];

function root2(signers: SigningKey[], version = 2): Uint8Array {
  const signed = buildRoot(version, isoSeconds(T0 + 3650 * DAY), {
    root: { keys: [newRoot], threshold: 1 },
    targets: { keys: [tg], threshold: 1 },
    timestamp: { keys: [tsNew], threshold: 1 },
  });
  return documentBytes(signDocument(signed, signers));
}

async function world() {
  const pub = new SimPublisher({ root: [oldRoot], targets: [tg], timestamp: [tsOld], thresholds: { root: 1, targets: 1, timestamp: 1 } }, seededRandom(5));
  const files = new Map<string, ServedFile>();
  const server = fakeFetch(() => files, BASE);
  const r1 = pub.publishAdapter(T0);
  for (const [p, f] of pub.files(r1)) files.set(p, f);
  let state: ChannelState = initialChannelState(new TextDecoder().decode(pub.rootBytes));
  const check = (now = T0 + 1000) => checkForUpdate({ baseUrl: BASE, model: MODEL, fetch: server.fetch, now: () => now }, state);
  const first = await check();
  expect(first.status).toBe('updated');
  state = first.state;
  return { pub, files, check, state, setState: (s: ChannelState) => (state = s) };
}

const code = rejectionCode;

describe('root rotation', () => {
  it('accepts root v2 signed by old and new root keys, then trusts only the new timestamp key', async () => {
    const w = await world();
    w.files.set('roots/2.json', { bytes: root2([oldRoot, newRoot]) });
    // Metadata still signed by the rotated-out timestamp key is now refused...
    expect(await code(w.check())).toBe('ADAPTER_SIGNATURE');
    // ...and the publisher's new key is accepted. The timestamp counter restarts (fast-forward recovery).
    w.pub.keys.timestamp[0] = tsNew;
    const r2 = w.pub.publishAdapter(T0 + 2000);
    for (const [p, f] of w.pub.files(r2)) w.files.set(p, f);
    const result = await w.check(T0 + 3000);
    expect(result.status).toBe('updated');
    expect(JSON.parse(result.state.rootJson).signed.version).toBe(2);
    expect(result.state.versions).toEqual({ timestamp: r2.tsVersion, targets: r2.targetsVersion });
  });

  it.each([
    ['only the new keys', [newRoot], 'ADAPTER_SIGNATURE'],
    ['only the old keys', [oldRoot], 'ADAPTER_SIGNATURE'],
    ['an attacker key', [poolKey('ed25519', 55)], 'ADAPTER_SIGNATURE'],
  ] as const)('rejects root v2 signed by %s', async (_n, signers, want) => {
    const w = await world();
    w.files.set('roots/2.json', { bytes: root2([...signers]) });
    expect(await code(w.check())).toBe(want);
  });

  it('rejects a root file that skips a version', async () => {
    const w = await world();
    w.files.set('roots/2.json', { bytes: root2([oldRoot, newRoot], 3) });
    expect(await code(w.check())).toBe('ADAPTER_ROLLBACK');
  });
});
