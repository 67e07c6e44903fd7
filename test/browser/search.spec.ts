/**
 * Search end to end in real headless Chromium: the built package, a real worker, the text encoder (WordPiece
 * + the text tower) on the worker's onnxruntime-web, the MiniSearch index persisted in IndexedDB, the shipped Beauty model.
 */
import type { Route } from '@playwright/test';
import { expect, MODEL as SHIPPED, test } from './fixtures';

const MODEL = process.env.LOCALSHELF_SEARCH_MODEL ?? SHIPPED;

test('a typed query returns matching products, each saying why; the index is persisted', async ({ shop }) => {
  const out = await shop.evaluate(async (model) => {
    const progress: { status: string; file?: string }[] = [];
    const r = await window.localshelf.createRecommender({
      model,
      storageName: 'search-basic',
      onProgress: (p) => progress.push({ status: p.status, file: 'file' in p ? p.file : undefined }),
    });
    const beforeBuild = r.searchInfo; // built in the background after start-up, not before
    const first = await r.searchReady();
    const result = await r.search('nail polish', { k: 10 });
    const typed = await r.search('shampo', { k: 5 }); // a typo, and search as you type
    r.dispose();
    const again = await window.localshelf.createRecommender({ model, storageName: 'search-basic' });
    const second = await again.searchReady();
    const same = await again.search('nail polish', { k: 10 });
    again.dispose();
    return { beforeBuild, first, second, result, typed, same, progress };
  }, MODEL);
  // The text model's files are downloaded, checked and reported like the model's, once each, before 'ready'.
  const order = ['initiate', 'download', 'done'];
  const files = [...new Set(out.progress.flatMap((p) => (p.file ? [p.file] : [])))];
  expect(files).toEqual(expect.arrayContaining(['text/onnx/model_quantized.onnx', 'text/tokenizer.json', 'text/tokenizer_config.json']));
  expect(files).not.toContain('text/config.json'); // describes the model; the encoder does not need it
  for (const file of files) {
    const seen = out.progress.filter((p) => p.file === file).map((p) => order.indexOf(p.status));
    expect([...seen].sort((a, b) => a - b), file).toEqual(seen);
    expect(seen.filter((x) => x === 0), file).toHaveLength(1);
  }
  expect(out.progress.at(-1)?.status).toBe('ready');
  expect(out.beforeBuild).toBeUndefined();
  expect(out.first?.lexical).toMatchObject({ library: 'minisearch', restored: false });
  expect(out.first?.lexical.documents).toBeGreaterThan(10_000);
  expect(out.first?.text).toMatchObject({ dim: 64, semantic: true });
  expect(out.second?.lexical.restored).toBe(true); // a reload does not rebuild the index
  expect(out.same.items.map((i) => i.id)).toEqual(out.result.items.map((i) => i.id));

  expect(out.result.items).toHaveLength(10);
  const nail = (t: string): boolean => /nail|polish|lacquer|manicure/i.test(t);
  expect(out.result.items.filter((i) => nail(i.title)).length).toBeGreaterThanOrEqual(8);
  expect(out.result.personalized).toBe(false);
  expect(out.result.candidates.lexical).toBeGreaterThan(10);
  for (const item of out.result.items) {
    expect(item.id).toMatch(/^[A-Z0-9]{10}$/);
    expect(item.why.matchedTerms.length > 0 || item.why.semantic > 0).toBe(true);
    expect(item.why.personal).toBe(0);
  }
  expect(out.result.items[0]!.why.matchedTerms).toEqual(expect.arrayContaining(['nail', 'polish']));
  const scores = out.result.items.map((i) => i.score);
  expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  expect(out.typed.items.filter((i) => /shampoo/i.test(i.title)).length).toBeGreaterThanOrEqual(3);
  expect(out.typed.items[0]!.why.matchedTerms.some((t) => t.startsWith('shampo'))).toBe(true);
});

test('start-up does not wait for search: recommend() answers first, search builds after it; eager: true builds it before', async ({ shop }) => {
  const out = await shop.evaluate(async (model) => {
    const lazy = await window.localshelf.createRecommender({ model, storageName: 'search-lazy' });
    const atReady = lazy.searchInfo;
    const recommended = (await lazy.recommend({ k: 5 })).items.length;
    const hits = (await lazy.search('nail polish', { k: 5 })).items.length; // waits for the build
    const info = await lazy.searchReady();
    lazy.dispose();
    const eager = await window.localshelf.createRecommender({ model, storageName: 'search-lazy', search: { eager: true } });
    const eagerInfo = eager.searchInfo;
    eager.dispose();
    const bad = await window.localshelf
      .createRecommender({ model, storageName: 'search-lazy', search: { eager: 'yes' as unknown as boolean } })
      .then(() => 'resolved', (e: { code?: string }) => e.code);
    return { atReady, recommended, hits, info, eagerInfo, bad };
  }, MODEL);
  expect(out.atReady).toBeUndefined();
  expect(out.recommended).toBe(5);
  expect(out.hits).toBe(5);
  expect(out.info.lexical.documents).toBeGreaterThan(10_000);
  expect(out.eagerInfo?.lexical.restored).toBe(true); // the lazy build saved the index; the eager one restored it
  expect(out.bad).toBe('INVALID_ARGUMENT');
});

test('a text model that fails to download does not stop recommendations; search reports it and the next call retries', async ({ shop }) => {
  const model = `/broken/flaky-text-${Date.now().toString(36)}/manifest.json`;
  const out = await shop.evaluate(async (model) => {
    const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: { code?: string }) => e.code ?? String(e));
    const r = await window.localshelf.createRecommender({ model, storageName: 'search-flaky', search: { offlineCache: false } });
    const recommended = (await r.recommend({ k: 3 })).items.length;
    const first = await code(r.search('nail polish', { k: 3 })); // the start-up download and this build both got 503
    const second = (await r.search('nail polish', { k: 3 })).items.length; // built now
    const info = await r.searchReady();
    r.dispose();
    return { recommended, first, second, text: info.text !== null };
  }, model);
  expect(out).toEqual({ recommended: 3, first: 'MODEL_FETCH', second: 3, text: true });
});

test('on the WebGPU path (forced, SwiftShader), searches and recommendations in flight together answer as they do one by one', async ({ shop }) => {
  const out = await shop.evaluate(async (model) => {
    const r = await window.localshelf.createRecommender({ model, storageName: 'search-concurrent', backend: 'webgpu' });
    const seeds = (await r.search('nail polish', { k: 5, personalize: false })).items.map((i) => i.id);
    for (const itemId of seeds) await r.track({ type: 'view', itemId });
    const ids = (x: { items: { id: string }[] }) => x.items.map((i) => i.id);
    const alone = { rec: ids(await r.recommend({ k: 5 })), a: ids(await r.search('lip gloss', { k: 5 })), b: ids(await r.search('shampoo', { k: 5 })) };
    const [rec1, a, rec2, b] = await Promise.all([r.recommend({ k: 5 }), r.search('lip gloss', { k: 5 }), r.recommend({ k: 5 }), r.search('shampoo', { k: 5 })]);
    r.dispose();
    return { backend: r.backend.name, alone, together: { rec1: ids(rec1), a: ids(a), rec2: ids(rec2), b: ids(b) } };
  }, MODEL);
  expect(out.backend).toBe('webgpu');
  expect(out.alone.rec).toHaveLength(5);
  expect(out.together).toEqual({ rec1: out.alone.rec, a: out.alone.a, rec2: out.alone.rec, b: out.alone.b });
});

test('after viewing products of one brand, the same query orders that brand higher', async ({ shop }) => {
  const out = await shop.evaluate(async (model) => {
    const r = await window.localshelf.createRecommender({ model, storageName: 'search-brand' });
    const before = await r.search('nail polish', { k: 30 });
    const brand = await r.search('essie', { k: 20, personalize: false });
    const seen = brand.items.filter((i) => /^essie/i.test(i.title)).slice(0, 6);
    for (const item of seen) await r.track({ type: 'view', itemId: item.id });
    const after = await r.search('nail polish', { k: 30 });
    const plain = await r.search('nail polish', { k: 30, personalize: false });
    r.dispose();
    return { before, after, plain, seen: seen.length };
  }, MODEL);
  const essie = (t: string): boolean => /^essie/i.test(t);
  const inTop10 = (items: { title: string }[]): number => items.slice(0, 10).filter((i) => essie(i.title)).length;
  const firstRank = (items: { title: string }[]): number => items.findIndex((i) => essie(i.title));
  expect(out.seen).toBeGreaterThanOrEqual(4);
  expect(out.before.personalized).toBe(false); // no history yet
  expect(out.after.personalized).toBe(true);
  expect(out.after.historyUsed).toBe(out.seen);
  expect(inTop10(out.after.items)).toBeGreaterThan(inTop10(out.before.items));
  expect(firstRank(out.after.items)).toBeGreaterThanOrEqual(0);
  expect(firstRank(out.before.items) === -1 || firstRank(out.after.items) < firstRank(out.before.items)).toBe(true);
  // personalize: false ignores the history
  expect(out.plain.items.map((i) => i.id)).toEqual(out.before.items.map((i) => i.id));
  const boosted = out.after.items.filter((i) => essie(i.title));
  expect(boosted.every((i) => i.why.personal > 0)).toBe(true);
  // still answers to the query: personalization re-orders, it does not replace
  expect(out.after.items.slice(0, 10).every((i) => i.why.matchedTerms.length > 0)).toBe(true);
});

test('a product added at run time is found by search and can appear in recommendations', async ({ shop }) => {
  const out = await shop.evaluate(async (model) => {
    const r = await window.localshelf.createRecommender({ model, storageName: 'search-add' });
    const added = await r.catalog.add([
      { id: 'LS-NEW-LIP', title: 'Moonpetal Overnight Lip Sleeping Mask Berry Balm', text: 'lip care, k-beauty' },
      { id: 'LS-NEW-GARAGE', title: 'Heavy Duty Garage Floor Epoxy Coating Kit Gray' },
    ]);
    const byName = await r.search('moonpetal', { k: 5 });
    const byWords = await r.search('lip sleeping mask', { k: 10 });
    const lips = await r.search('lip balm', { k: 8, personalize: false });
    for (const item of lips.items.filter((i) => !i.id.startsWith('LS-'))) await r.track({ type: 'view', itemId: item.id });
    const recs = await r.recommend({ k: 1000 });
    const rank = (id: string): number => recs.items.findIndex((i) => i.id === id);
    const dup = await r.catalog.add([{ id: 'LS-NEW-LIP', title: 'again' }]).catch((e: { code: string }) => e.code);
    const bad = await r.catalog.add([{ id: '', title: 'x' }]).catch((e: { code: string }) => e.code);
    // both added products scored, wherever they rank: the same history, the catalog narrowed to the two
    const pair = await r.recommend({ k: 2, filter: { ids: ['LS-NEW-LIP', 'LS-NEW-GARAGE'] } });
    r.dispose();
    return { added, byName, byWords, lipRank: rank('LS-NEW-LIP'), pair: pair.items.map((i) => ({ id: i.id, score: i.score })), dup, bad, size: recs.items.length };
  }, MODEL);
  expect(out.added.added).toBe(2);
  expect(out.added.catalogSize).toBeGreaterThan(10_000);
  expect(out.byName.items[0]).toMatchObject({ id: 'LS-NEW-LIP', added: true });
  expect(out.byName.items[0]!.why.matchedTerms).toContain('moonpetal');
  expect(out.byWords.items.map((i) => i.id)).toContain('LS-NEW-LIP');
  // Recommendable on its text vector alone: it is scored like any catalog item and reaches the top 1,000 of 12,103
  // after lip-care views, on its own row (not a placeholder the two added products would share). Whether such a row
  // ranks above an unrelated one is a quality figure, measured over thousands of users in EVAL.md (cold start); one
  // pair flips with a retrain (the model shipped before 2026-12-07's: 92nd vs 235th; today's: 650th vs 637th).
  expect(out.lipRank).toBeGreaterThanOrEqual(0);
  expect(out.size).toBe(1000);
  expect(out.pair.map((i) => i.id).sort()).toEqual(['LS-NEW-GARAGE', 'LS-NEW-LIP']);
  expect(out.pair.every((i) => Number.isFinite(i.score))).toBe(true);
  expect(out.pair[0]!.score).not.toBe(out.pair[1]!.score);
  expect(out.dup).toBe('INVALID_ARGUMENT');
  expect(out.bad).toBe('INVALID_ARGUMENT');
});

test('empty, huge and hostile queries get sensible answers or typed errors', async ({ shop }) => {
  const out = await shop.evaluate(async (model) => {
    const r = await window.localshelf.createRecommender({ model, storageName: 'search-edge' });
    const code = (p: Promise<unknown>): Promise<string> => p.then(() => 'resolved', (e: { code: string }) => e.code);
    const ids = (await r.search('nail polish', { k: 20 })).items.map((i) => i.id);
    const res = {
      empty: (await r.search('')).items.length,
      blank: (await r.search(' \t\u200b\n ')).items.length,
      huge: await code(r.search('x'.repeat(513))),
      notString: await code(r.search(42 as unknown as string)),
      badK: await code(r.search('shampoo', { k: 0 })),
      badFilter: await code(r.search('shampoo', { filter: { ids: 'abc' as unknown as string[] } })),
      script: await code(r.search('<script>alert(1)</script> OR 1=1; DROP TABLE items --')),
      proto: await code(r.search('__proto__ constructor prototype hasOwnProperty')),
      regex: await code(r.search('.*+?^${}()|[]\\ (((((a*)*)*)*)*')),
      longWord: await code(r.search('a'.repeat(512))),
      emoji: (await r.search('💅 nail 💅', { k: 5 })).items.filter((i) => /nail/i.test(i.title)).length,
      filtered: (await r.search('nail polish', { k: 10, filter: { ids: ids.slice(5, 8) } })).items.map((i) => i.id),
      expected: ids.slice(5, 8),
    };
    r.dispose();
    return res;
  }, MODEL);
  expect(out.empty).toBe(0);
  expect(out.blank).toBe(0);
  expect(out.huge).toBe('INVALID_QUERY');
  expect(out.notString).toBe('INVALID_QUERY');
  expect(out.badK).toBe('INVALID_ARGUMENT');
  expect(out.badFilter).toBe('INVALID_ARGUMENT');
  for (const key of ['script', 'proto', 'regex', 'longWord'] as const) expect(out[key], key).toBe('resolved');
  expect(out.emoji).toBeGreaterThanOrEqual(3);
  expect([...out.filtered].sort()).toEqual([...out.expected].sort());
});

test('search works offline once assets are cached', async ({ page, context, server }) => {
  const first = server.requests.length; // the server is shared with earlier tests (one of them runs WebGPU)
  // The storefront's own shell (HTML, scripts) is the app's business (its service worker): this route stands in
  // for it. Everything else (model files, onnxruntime's wasm) must come from localshelf's own copies.
  const shell = new Map<string, { body: Buffer; headers: Record<string, string> }>();
  let offline = false;
  const isShell = (url: string): boolean => !url.includes('/models/') && !url.endsWith('.wasm');
  await context.route(`${server.url}/**`, async (route: Route) => {
    const url = route.request().url();
    if (!offline) {
      const response = await route.fetch();
      if (isShell(url)) shell.set(url, { body: await response.body(), headers: response.headers() });
      return route.fulfill({ response });
    }
    const copy = shell.get(url);
    if (copy && isShell(url)) return route.fulfill({ status: 200, body: copy.body, headers: copy.headers });
    return route.abort('internetdisconnected');
  });
  const run = (): Promise<{ ids: string[]; backend: string }> =>
    page.evaluate(async (model) => {
      const r = await window.localshelf.createRecommender({ model, storageName: 'search-offline' });
      const result = await r.search('lip gloss', { k: 5 });
      const out = { ids: result.items.map((i) => i.id), backend: r.backend.name };
      r.dispose();
      return out;
    }, MODEL);
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => window.localshelfReady === true);
  const online = await run();
  // The copies are written before the recommender says it is ready, onnxruntime's wasm (which the own history
  // encoder does not need) before search's build completes (run() disposed of it right after one search): each
  // must be in Cache Storage now, whole. (An entry can be listed before its body is complete.)
  const copies = await page.evaluate(async () => {
    const cache = await caches.open('localshelf-assets');
    const keys = await cache.keys();
    // the encoder the engine runs: the LoRA-free one (no adapter channel here, so the full graph is not fetched)
    const wanted = ['model_quantized.onnx', 'items.lsim', '/encoder.base.int8.onnx', 'catalog.json', 'tokenizer.json', '.wasm'];
    const out: Record<string, string> = { fullEncoderKept: keys.some((k) => k.url.endsWith('/encoder.int8.onnx')) ? 'kept' : 'not fetched' };
    for (const name of wanted) {
      const key = keys.find((k) => k.url.endsWith(name));
      const copy = key && (await cache.match(key));
      const length = Number(copy?.headers.get('content-length'));
      out[name] = !copy ? 'missing' : length && (await copy.arrayBuffer()).byteLength === length ? 'whole' : 'partial';
    }
    return out;
  });
  const { fullEncoderKept, ...kept } = copies;
  expect(Object.values(kept).every((state) => state === 'whole'), JSON.stringify(copies)).toBe(true);
  expect(fullEncoderKept).toBe('not fetched');
  offline = true;
  await context.setOffline(true);
  const before = server.requests.length;
  await page.reload();
  await page.waitForFunction(() => window.localshelfReady === true);
  const cached = await run();
  await context.setOffline(false);
  expect(online.ids).toHaveLength(5);
  expect(cached).toEqual(online);
  expect(server.requests.length).toBe(before); // nothing reached the server
  // One onnxruntime-web for both models: only the WASM runtime the recommender uses was ever downloaded (never
  // the JSEP or asyncify builds), and nothing from a CDN.
  const wasm = server.requests.slice(first).filter((r) => r.url.endsWith('.wasm')).map((r) => r.url.replace(/^.*\//, ''));
  expect(wasm.length).toBeGreaterThan(0);
  expect(wasm.every((name) => /^ort-wasm-simd-threaded-[\w-]+\.wasm$/.test(name))).toBe(true);
});
