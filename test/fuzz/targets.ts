/**
 * Every public entry and every parser, as fuzz targets: an input generator (fast-check) and the one call. A
 * target passes when each input either returns (and, where it says so, the result checks out) or throws a
 * `LocalshelfError` with one of the codes listed. Anything else (a TypeError, a RangeError, a hang) is a bug.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateEvent } from '../../src/events';
import type { ErrorCode } from '../../src/errors';
import { resolveAdapterOptions, resolveOptions } from '../../src/options';
import { resolveSearchOptions } from '../../src/search';
import { randomAdapter, seededRandom } from '../../tools/lib/random-adapter';
import { parseAdapter } from '../../workers/adapters/format';
import { parseMetadata, ROLES } from '../../workers/adapters/metadata';
import { CatalogIndex } from '../../workers/catalog-index';
import { encodeItemMatrix, parseItemMatrix } from '../../workers/engine/item-matrix';
import { checkRecommendRequest, checkRelatedRequest } from '../../workers/recommend-request';
import { checkManifest, parseCatalog } from '../../workers/runtime/load-model';
import { checkNewItems } from '../../workers/search/add-items';
import { checkSearchRequest } from '../../workers/search/query';
import { WordPieceTokenizer } from '../../workers/search/wordpiece';

export interface FuzzTarget<T = unknown> {
  name: string;
  input: fc.Arbitrary<T>;
  /** Codes a rejection may carry. */
  codes: readonly ErrorCode[];
  run(input: T): unknown;
}

const BASE = 'https://shop.example/app/';
const te = new TextEncoder();

/** Any JSON-ish value, with the shapes the parsers look for mixed in, and prototype-ish keys. */
const keys = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'type', 'itemId', 'id', 'k', 'items', 'sha256'));
export const anything = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(keys, tie('value'), { maxKeys: 6 }),
  ),
})).value;
const bytes = fc.uint8Array({ maxLength: 600 });
/** Mutates `valid`: a few bytes changed, then perhaps cut. */
const mutated = (valid: Uint8Array) =>
  fc.tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.option(fc.nat())).map(([edits, cut]) => {
    const out = Uint8Array.from(valid);
    for (const [at, value] of edits) out[at % out.length] = value;
    return cut === null ? out : out.subarray(0, cut % (out.length + 1));
  });

export const event = fc.oneof(
  anything,
  // Close to valid: right types, edge values (empty or 300-character ids, negative or huge timestamps).
  fc.record({
    type: fc.constantFrom('view', 'click', 'add_to_cart', 'purchase'),
    itemId: fc.oneof(fc.constantFrom('B004756YJA', 'B004ZT0SSG'), fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 20 })),
    timestamp: fc.oneof(fc.constant(undefined), fc.double(), fc.nat()),
  }),
  fc.record({ type: fc.constantFrom('view', 'click', 'add_to_cart', 'purchase', 'impression', 'search', 'teleport'), itemId: anything, itemIds: anything, query: anything, timestamp: anything }, { requiredKeys: [] }),
);

const repo = fileURLToPath(new URL('../..', import.meta.url));
const tokenizer = WordPieceTokenizer.parse(readFileSync(`${repo}public/models/beauty/text/tokenizer.json`), 64);
const catalog = new CatalogIndex(Array.from({ length: 20 }, (_, i) => ({ id: `item-${i}`, title: `t${i}`, popularity: i })));
const matrix = new Uint8Array(encodeItemMatrix(Float32Array.from({ length: 5 * 16 }, (_, i) => Math.sin(i)), 5, 16));
const MODEL = { lora: { rank: 2, targets: [{ name: 'block0.attn.q', in: 8, out: 8 }] }, numItems: 4 };
const adapter = randomAdapter({ ...MODEL, baseModel: 'a'.repeat(64) }, 1, seededRandom(1), { itemBias: true });

/** Keeps each target's input type while the list holds them all. */
const target = <T>(t: FuzzTarget<T>): FuzzTarget => t as unknown as FuzzTarget;

export const TARGETS: FuzzTarget[] = [
  target({
    name: 'track(): validateEvent',
    input: event,
    codes: ['INVALID_EVENT'],
    run: (e) => {
      const v = validateEvent(e, 1);
      // A valid event re-validates to itself: what is stored is what was accepted.
      if (JSON.stringify(validateEvent(v, 2)) !== JSON.stringify(v)) throw new Error('not idempotent');
    },
  }),
  target({ name: 'createRecommender(): resolveOptions', input: fc.oneof(anything, fc.record({ model: anything, storage: anything, historyCap: anything, backend: anything, threads: anything, files: anything }, { requiredKeys: [] })), codes: ['INVALID_ARGUMENT'], run: (o) => resolveOptions(o as never, BASE) }),
  target({ name: 'createRecommender(): options.search', input: fc.oneof(anything, fc.record({ textModel: anything, textDtype: anything, textVectors: anything, eager: anything }, { requiredKeys: [] })), codes: ['INVALID_ARGUMENT'], run: (o) => resolveSearchOptions(o as never, BASE) }),
  target({ name: 'createRecommender(): options.adapters', input: fc.oneof(anything, fc.record({ url: anything, root: anything, jitter: anything, intervalMs: anything, initialDelayMs: anything }, { requiredKeys: [] })), codes: ['INVALID_ARGUMENT'], run: (o) => resolveAdapterOptions(o as never, BASE) }),
  target({ name: 'recommend(): request', input: fc.oneof(anything, fc.record({ k: anything, omit: anything, exclude: anything, filter: anything }, { requiredKeys: [] })), codes: ['INVALID_ARGUMENT'], run: (r) => checkRecommendRequest(r) }),
  target({ name: 'related(): request', input: fc.oneof(anything, fc.record({ k: anything, mode: anything, omit: anything, exclude: anything, filter: anything }, { requiredKeys: [] })), codes: ['INVALID_ARGUMENT'], run: (r) => checkRelatedRequest(r) }),
  target({ name: 'search(): query and request', input: fc.tuple(anything, fc.oneof(anything, fc.record({ k: anything, personalize: anything, filter: anything }, { requiredKeys: [] }))), codes: ['INVALID_QUERY', 'INVALID_ARGUMENT'], run: ([q, r]) => checkSearchRequest(q, r as never) }),
  target({ name: 'catalog.add(): items', input: fc.oneof(anything, fc.array(fc.record({ id: anything, title: anything, text: anything }, { requiredKeys: [] }), { maxLength: 5 })), codes: ['INVALID_ARGUMENT'], run: (items) => checkNewItems(items, catalog) }),
  target({
    name: 'model manifest.json',
    input: fc.oneof(anything, fc.record({ format: fc.constantFrom(1, 2, '1'), dim: anything, maxLen: anything, numItems: anything, files: anything, sha256: anything }, { requiredKeys: [] })),
    codes: ['MODEL_CORRUPT'],
    run: (m) => checkManifest(m),
  }),
  target({
    name: 'catalog.json',
    input: fc.oneof(bytes, anything.map((v) => te.encode(JSON.stringify({ items: v }) ?? '')), fc.array(fc.record({ id: anything, title: anything, popularity: anything }, { requiredKeys: [] }), { maxLength: 6 }).map((items) => te.encode(JSON.stringify({ items })))),
    codes: ['MODEL_CORRUPT'],
    run: (b) => parseCatalog(b, 'catalog.json', 3),
  }),
  target({ name: 'items.lsim (item matrix)', input: fc.oneof(bytes, mutated(matrix)), codes: ['MODEL_CORRUPT'], run: (b) => parseItemMatrix(b) }),
  target({ name: 'adapter file (.lsad)', input: fc.oneof(bytes, mutated(adapter)), codes: ['ADAPTER_MALFORMED'], run: (b) => parseAdapter(b, MODEL) }),
  target({
    name: 'channel metadata (root / targets / timestamp)',
    input: fc.tuple(fc.oneof(bytes, anything.map((v) => te.encode(JSON.stringify(v) ?? '')), fc.record({ signed: anything, signatures: anything }, { requiredKeys: [] }).map((v) => te.encode(JSON.stringify(v)))), fc.constantFrom(...ROLES)),
    codes: ['ADAPTER_MALFORMED'],
    run: ([b, role]) => parseMetadata(b, role),
  }),
  target({
    name: 'text encoder tokenizer (any text)',
    input: fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ maxLength: 400 })),
    codes: [],
    run: (text) => {
      const ids = tokenizer.encode(text);
      if (ids.length < 2 || ids.length > 64 || ids[0] !== tokenizer.clsId || ids.at(-1) !== tokenizer.sepId) throw new Error(`bad ids for ${JSON.stringify(text)}`);
      if (!ids.every((id) => Number.isInteger(id) && id >= 0 && id < 30_522)) throw new Error('id out of the vocabulary');
    },
  }),
];
