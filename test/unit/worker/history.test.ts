// openHistory on fake-indexeddb (Node): the fallbacks to memory and the move to memory while running. The same
// paths run on real IndexedDB in test/browser/storage.spec.ts.
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../src/events';
import type { StorageInfo } from '../../../src/storage';
import { openHistory } from '../../../workers/history/history';
import { HISTORY_DB_VERSION } from '../../../workers/history/store';

const view = (itemId: string, timestamp: number): StoredEvent => ({ type: 'view', itemId, timestamp });
const ids = (events: StoredEvent[]): string[] => events.map((e) => ('itemId' in e ? e.itemId : e.type));

describe('openHistory', () => {
  it('skips and counts stored records that are not valid events, and keeps them in the database', async () => {
    const a = await openHistory({ name: 'shapes', cap: 100, preference: 'auto' });
    await a.history.append([view('x', 1)]);
    a.history.close();
    const raw = await openDB('shapes', HISTORY_DB_VERSION);
    await raw.add('events', { type: 'teleport', itemId: 'q', timestamp: 2 } as never);
    await raw.add('events', { type: 'view', timestamp: 3 } as never);
    await raw.add('events', { what: 'not an event at all', timestamp: 'yesterday' } as never);
    raw.close();
    const b = await openHistory({ name: 'shapes', cap: 100, preference: 'auto' });
    expect(b.info).toEqual({ kind: 'indexeddb', skipped: 3 });
    expect(ids(b.events)).toEqual(['x']);
    expect(ids(await b.history.all())).toEqual(['x']);
    expect(await b.history.count()).toBe(4); // nothing was deleted
    b.history.close();
  });

  it('falls back to memory for a database of a newer schema or one that is not a history; "indexeddb" throws', async () => {
    const newer = await openDB('newer', HISTORY_DB_VERSION + 1, { upgrade: (db) => void db.createObjectStore('events2') });
    newer.close();
    const a = await openHistory({ name: 'newer', cap: 10, preference: 'auto' });
    expect(a.info.kind).toBe('memory');
    expect(a.info.reason).toMatch(/newer version of localshelf/);
    await a.history.append([view('m', 1)]);
    expect(ids(await a.history.all())).toEqual(['m']);
    const foreign = await openDB('foreign', HISTORY_DB_VERSION, { upgrade: (db) => void db.createObjectStore('other') });
    foreign.close();
    expect((await openHistory({ name: 'foreign', cap: 10, preference: 'auto' })).info.reason).toMatch(/not a localshelf history/);
    await expect(openHistory({ name: 'newer', cap: 10, preference: 'indexeddb' })).rejects.toMatchObject({ code: 'STORAGE' });
    expect((await openHistory({ name: 'never-opened', cap: 10, preference: 'memory' })).info).toEqual({ kind: 'memory', skipped: 0 });
  });

  it('moves to memory at once when another tab upgrades or deletes the database, without blocking it', async () => {
    const changes: StorageInfo[] = [];
    const a = await openHistory({ name: 'upgraded', cap: 10, preference: 'auto', onChange: (i) => changes.push(i) });
    await a.history.append([view('before', 1)]);
    const started = Date.now();
    const upgrade = await openDB('upgraded', HISTORY_DB_VERSION + 1, { upgrade: () => undefined });
    expect(Date.now() - started).toBeLessThan(1000); // not blocked by the old connection
    upgrade.close();
    expect(changes).toHaveLength(1);
    expect(changes[0]!.kind).toBe('memory');
    expect(a.history.kind).toBe('memory');
    const { stored } = await a.history.append([view('after', 2)]);
    expect(stored).toHaveLength(1);
    expect(ids(await a.history.all())).toEqual(['after']);
  });
});
