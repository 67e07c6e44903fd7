/**
 * The search baseline: Orama (`@orama/orama`, full-text BM25 with its defaults) over the same catalog titles,
 * in a dedicated module worker, so it runs off the main thread as localshelf's search does.
 */
import { create, insertMultiple, search, type AnyOrama } from '@orama/orama';
import { expose } from 'comlink';

let db: AnyOrama | undefined;

const api = {
  /** Indexes every title of `catalogUrl` (a catalog.json). */
  async build(catalogUrl: string): Promise<{ docs: number; buildMs: number }> {
    const { items } = (await (await fetch(catalogUrl)).json()) as { items: { id: string; title: string }[] };
    const t0 = performance.now();
    db = create({ schema: { title: 'string' } as const });
    await insertMultiple(db, items.map((it) => ({ id: it.id, title: it.title })), 2000);
    return { docs: items.length, buildMs: performance.now() - t0 };
  },

  /** One query, top `k`: the ids and the time spent inside this worker. */
  async query(term: string, k: number): Promise<{ ids: string[]; ms: number }> {
    if (!db) throw new Error('build() first');
    const t0 = performance.now();
    const res = await search(db, { term, properties: ['title'], limit: k });
    const ms = performance.now() - t0;
    return { ids: res.hits.map((h) => h.id), ms };
  },
};

export type OramaApi = typeof api;
expose(api);
