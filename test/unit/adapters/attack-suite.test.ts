/**
 * The update channel under attack: ≥ 1,000 seeded sequences of honest and attacked updates applied, through the
 * real download + verify path (`checkForUpdate` over an in-memory server), to a simulated client holding the
 * active adapter and its counters. Every attack must be rejected with its typed code and leave the client as it
 * was; every honest update must be accepted, with the exact bytes the publisher signed.
 */
import { describe, expect, it } from 'vitest';
import { isLocalshelfError, type ErrorCode } from '../../../src/errors';
import { seededRandom } from '../../../tools/lib/random-adapter';
import type { KeyType } from '../../../workers/adapters/metadata';
import type { ParsedAdapter } from '../../../workers/adapters/format';
import { checkForUpdate, initialChannelState, type ChannelState } from '../../../workers/adapters/update';
import { ATTACKS, type World } from './attacks';
import { fakeFetch, HOUR, MODEL, poolKey, SimPublisher, T0, type ServedFile } from './channel-fixture';

const SEQUENCES = 1000;
const STEPS = 8;
const BASE = 'https://updates.example/beauty/';
const BATCHES = 4;

interface Tally {
  honest: number;
  attacks: Record<string, number>;
  codes: Partial<Record<ErrorCode, number>>;
}

async function runSequence(seed: number, tally: Tally): Promise<void> {
  const rng = seededRandom(seed);
  const targetsType: KeyType = rng() < 0.2 ? 'ecdsa-p256' : 'ed25519';
  const threshold = 1 + Math.floor(rng() * 3);
  const targetsKeys = [0, 1, 2].map((i) => poolKey(targetsType, 1 + i));
  const publisher = new SimPublisher(
    {
      root: [poolKey('ed25519', 10)],
      targets: targetsKeys,
      timestamp: [poolKey('ed25519', 11)],
      thresholds: { root: 1, targets: threshold, timestamp: 1 },
    },
    rng,
  );
  let state: ChannelState = initialChannelState(new TextDecoder().decode(publisher.rootBytes));
  let active: ParsedAdapter | null = null;
  let activeSha: string | null = null;
  let served = new Map<string, ServedFile>();
  const server = fakeFetch(() => served, BASE, { honourEtag: rng() < 0.7 });
  const world: World = {
    publisher, rng, now: T0, state,
    compromised: { timestamp: poolKey('ed25519', 11), targets: targetsKeys.slice(0, threshold - 1) },
    foreign: poolKey('ed25519', 12),
  };
  const names = Object.keys(ATTACKS);

  for (let step = 0; step < STEPS; step++) {
    world.now += Math.floor(rng() * 6 * HOUR);
    Object.assign(world, { state });
    let expected: { ok: true; sha: string | null } | { ok: false; codes: readonly ErrorCode[]; name: string };
    const name = step === 0 || rng() < 0.4 ? null : names[Math.floor(rng() * names.length)]!;
    const plan = name === null ? null : ATTACKS[name]!(world);
    if (plan && name) {
      served = plan.served;
      expected = { ok: false, codes: plan.codes, name };
    } else {
      const release = !publisher.latest || rng() < 0.6 ? publisher.publishAdapter(world.now) : publisher.refresh(world.now);
      served = publisher.files(release);
      expected = { ok: true, sha: release.adapterSha === activeSha ? null : release.adapterSha! };
    }
    const before = JSON.stringify(state);
    const requestsBefore = server.log.requests.length;
    const sentBefore = server.log.bytesSent;
    const context = `seed ${seed} step ${step}`;
    try {
      const result = await checkForUpdate({ baseUrl: BASE, model: MODEL, fetch: server.fetch, now: () => world.now }, state);
      expect(expected.ok, `${context}: attack accepted (${JSON.stringify(expected)})`).toBe(true);
      if (!expected.ok) return;
      if (expected.sha === null) {
        expect(result.status, context).toBe('current');
      } else {
        expect(result.status, context).toBe('updated');
        if (result.status !== 'updated') return;
        expect(result.target.sha256, context).toBe(expected.sha);
        active = result.adapter;
        activeSha = result.target.sha256;
      }
      state = result.state;
      tally.honest += 1;
    } catch (error) {
      if (expected.ok) throw new Error(`${context}: honest update rejected: ${String(error)}`, { cause: error });
      expect(isLocalshelfError(error), `${context}: ${String(error)}`).toBe(true);
      const code = (error as { code: ErrorCode }).code;
      expect(expected.codes, `${context}: ${(error as Error).message}`).toContain(code);
      expect(JSON.stringify(state), context).toBe(before);
      tally.codes[code] = (tally.codes[code] ?? 0) + 1;
    }
    // The active adapter only ever changes to what the publisher signed.
    expect(active === null ? null : activeSha, context).toBe(state.active?.sha256 ?? null);
    for (const { init } of server.log.requests.slice(requestsBefore)) {
      expect(init.credentials).toBe('omit');
      expect(init.referrerPolicy).toBe('no-referrer');
      expect(Object.keys(init.headers ?? {}).every((h) => h === 'If-None-Match')).toBe(true);
    }
    // Endless or oversized streams are cut off: the client never pulls much more than the signed length.
    expect(server.log.bytesSent - sentBefore, context).toBeLessThan(64 * 1024);
    if (!expected.ok) tally.attacks[expected.name] = (tally.attacks[expected.name] ?? 0) + 1;
  }
}

describe('update channel attack suite', () => {
  const tally: Tally = { honest: 0, attacks: {}, codes: {} };
  for (let b = 0; b < BATCHES; b++) {
    const per = SEQUENCES / BATCHES;
    it(`sequences ${b * per}–${(b + 1) * per - 1}: attacks rejected with their code, honest updates accepted`, async () => {
      for (let s = b * per; s < (b + 1) * per; s++) await runSequence(0x5eed0000 + s, tally);
    });
  }
  it("covered every attack many times", () => {
    expect(tally.honest).toBeGreaterThan(SEQUENCES * 2);
    for (const name of Object.keys(ATTACKS)) expect(tally.attacks[name] ?? 0, name).toBeGreaterThanOrEqual(50);
  });
});
