/**
 * Business rules, applied in the worker after the whole catalog is scored: filters on catalog attributes
 * (`where`), boosts, pinned items, and diversity (a cap per attribute value, and an MMR trade-off between score
 * and similarity to what is already on the shelf). Selection walks the full ranking, so a shelf is short of `k`
 * only when fewer than `k` items qualify. Pure compute; the catalog attributes come from catalog.json.
 */
import { describeValue, LocalshelfError } from '../src/errors';
import type { AttributeValue, Condition, Rules } from '../src/protocol';
import type { ItemMatrix } from './engine/item-matrix';
import type { CatalogEntry } from './runtime/load-model';

const invalid = (message: string): LocalshelfError => new LocalshelfError('INVALID_ARGUMENT', message);
const isValue = (v: unknown): v is AttributeValue => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** Attribute names any catalog entry has (checked once per catalog). */
export function attributeNames(entries: readonly CatalogEntry[]): Set<string> {
  const names = new Set<string>();
  for (const e of entries) for (const k of Object.keys(e.attributes ?? {})) names.add(k);
  return names;
}

/** Validates `rules` against the catalog's attributes. @throws LocalshelfError `INVALID_ARGUMENT` (unknown attribute, bad value) */
export function checkRules(rules: unknown, known: ReadonlySet<string>): Rules | undefined {
  if (rules === undefined) return undefined;
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules)) throw invalid('rules must be an object');
  const r = rules as Rules;
  const checkWhere = (where: unknown, at: string): void => {
    if (typeof where !== 'object' || where === null || Array.isArray(where)) throw invalid(`${at} must be an object of attribute conditions`);
    for (const [name, c] of Object.entries(where)) {
      if (!known.has(name)) throw invalid(`${at}: unknown attribute ${describeValue(name)}; this catalog has ${[...known].sort().join(', ') || 'no attributes'}`);
      const ok =
        isValue(c) ||
        (Array.isArray(c) && c.length > 0 && c.every(isValue)) ||
        (typeof c === 'object' && c !== null && !Array.isArray(c) && ('prefix' in c ? typeof c.prefix === 'string' : ['min', 'max'].some((k) => k in c) && Object.entries(c).every(([k, v]) => (k === 'min' || k === 'max') && typeof v === 'number' && !Number.isNaN(v))));
      if (!ok) throw invalid(`${at}.${name}: a condition is a value, a non-empty array of values, { min, max } or { prefix }; got ${describeValue(c)}`);
    }
  };
  if (r.where !== undefined) checkWhere(r.where, 'rules.where');
  if (r.boost !== undefined) {
    if (!Array.isArray(r.boost)) throw invalid('rules.boost must be an array');
    r.boost.forEach((b, i) => {
      if (typeof b !== 'object' || b === null) throw invalid(`rules.boost[${i}] must be an object`);
      checkWhere(b.where, `rules.boost[${i}].where`);
      for (const k of ['multiply', 'add'] as const) {
        if (b[k] !== undefined && (typeof b[k] !== 'number' || !Number.isFinite(b[k]))) throw invalid(`rules.boost[${i}].${k} must be a finite number`);
      }
    });
  }
  if (r.pin !== undefined) {
    if (!Array.isArray(r.pin)) throw invalid('rules.pin must be an array');
    r.pin.forEach((p, i) => {
      if (typeof p !== 'object' || p === null || typeof p.itemId !== 'string' || !Number.isInteger(p.position) || p.position < 0) {
        throw invalid(`rules.pin[${i}] must be { itemId: string, position: integer >= 0 }`);
      }
    });
  }
  if (r.diversity !== undefined) {
    const d = r.diversity;
    if (typeof d !== 'object' || d === null) throw invalid('rules.diversity must be an object');
    if (d.maxPer !== undefined) {
      if (typeof d.maxPer !== 'object' || d.maxPer === null || typeof d.maxPer.attribute !== 'string' || !Number.isInteger(d.maxPer.count) || d.maxPer.count < 1) {
        throw invalid('rules.diversity.maxPer must be { attribute: string, count: integer >= 1 }');
      }
      if (!known.has(d.maxPer.attribute)) throw invalid(`rules.diversity.maxPer: unknown attribute ${describeValue(d.maxPer.attribute)}`);
    }
    if (d.lambda !== undefined && (typeof d.lambda !== 'number' || !(d.lambda >= 0 && d.lambda <= 1))) throw invalid('rules.diversity.lambda must be a number in [0, 1]');
  }
  return r;
}

/** A category path such as "Beauty > Skin > Moisturizers" as its segments. */
const segments = (path: string): string[] => path.split('>').map((s) => s.trim().toLowerCase()).filter(Boolean);

function holds(c: Condition, v: AttributeValue | undefined): boolean {
  if (v === undefined) return false;
  if (Array.isArray(c)) return (c as readonly AttributeValue[]).some((x) => x === v);
  if (typeof c === 'object' && c !== null) {
    if ('prefix' in c) {
      const want = segments(c.prefix);
      const have = segments(String(v));
      return want.length <= have.length && want.every((s, i) => s === have[i]);
    }
    const range = c as { min?: number; max?: number };
    const n = typeof v === 'number' ? v : Number.NaN;
    return !Number.isNaN(n) && (range.min === undefined || n >= range.min) && (range.max === undefined || n <= range.max);
  }
  return c === v;
}

/** True when every condition of `where` holds for the entry. */
export function matches(entry: CatalogEntry, where: Rules['where']): boolean {
  if (!where) return true;
  const attrs = entry.attributes ?? {};
  for (const [name, c] of Object.entries(where)) if (!holds(c, attrs[name])) return false;
  return true;
}

/** Applies `where` (to `mask`: non-zero = left out) and the boosts (to `scores`), over every row. */
export function applyRules(entries: readonly CatalogEntry[], rules: Rules | undefined, scores: Float32Array, mask: Uint8Array): void {
  if (!rules) return;
  const n = Math.min(entries.length, scores.length);
  for (let row = 0; row < n; row++) {
    if (mask[row]) continue;
    const e = entries[row]!;
    if (rules.where && !matches(e, rules.where)) {
      mask[row] = 1;
      continue;
    }
    for (const b of rules.boost ?? []) {
      if (matches(e, b.where)) scores[row] = scores[row]! * (b.multiply ?? 1) + (b.add ?? 0);
    }
  }
}

/** Rows not masked, best score first (ties: lower row first); NaN scores left out. */
function ranked(scores: Float32Array, mask: Uint8Array): Int32Array {
  const rows: number[] = [];
  for (let row = 0; row < scores.length; row++) if (!mask[row] && !Number.isNaN(scores[row]!)) rows.push(row);
  rows.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return Int32Array.from(rows);
}

function cosine(matrix: ItemMatrix, norms: Float32Array, a: number, b: number): number {
  const { dim, q, scales } = matrix;
  let dot = 0;
  for (let j = 0; j < dim; j++) dot += q[a * dim + j]! * q[b * dim + j]!;
  const d = norms[a]! * norms[b]!;
  return d > 0 ? (dot * scales[a]! * scales[b]!) / d : 0;
}

export interface SelectArgs {
  entries: readonly CatalogEntry[];
  scores: Float32Array;
  mask: Uint8Array;
  k: number;
  rules?: Rules;
  matrix: ItemMatrix;
  norms: Float32Array;
  /** Row of an item id (for pins). */
  rowOf(id: string): number | undefined;
}

/**
 * The shelf: up to `k` rows after the cap per attribute value and the MMR trade-off, with pinned items at their
 * positions (a pinned item counts once, bypasses the filters, and must be in the catalog).
 * @throws LocalshelfError `UNKNOWN_ITEM` for a pin the catalog lacks
 */
export function selectShelf(a: SelectArgs): { rows: number[]; scores: number[] } {
  const pins = (a.rules?.pin ?? []).map((p) => {
    const row = a.rowOf(p.itemId);
    if (row === undefined) throw new LocalshelfError('UNKNOWN_ITEM', `rules.pin: the catalog has no item ${describeValue(p.itemId)}`);
    return { row, position: p.position };
  });
  const pinned = new Set(pins.map((p) => p.row));
  const want = a.k - pinned.size;
  const order = ranked(a.scores, a.mask).filter((r) => !pinned.has(r));
  const cap = a.rules?.diversity?.maxPer;
  const lambda = a.rules?.diversity?.lambda ?? 1;
  const perValue = new Map<string, number>();
  const capped = (row: number): boolean => {
    if (!cap) return false;
    const v = String(a.entries[row]!.attributes?.[cap.attribute] ?? '');
    return (perValue.get(v) ?? 0) >= cap.count;
  };
  const take = (row: number, out: number[]): void => {
    out.push(row);
    if (cap) {
      const v = String(a.entries[row]!.attributes?.[cap.attribute] ?? '');
      perValue.set(v, (perValue.get(v) ?? 0) + 1);
    }
  };
  const chosen: number[] = [];
  if (lambda >= 1) {
    for (const row of order) {
      if (chosen.length >= want) break;
      if (!capped(row)) take(row, chosen);
    }
  } else {
    // MMR over a candidate pool: the best 20·k by score, wider when the cap leaves too few.
    const pool = Array.from(order.subarray(0, Math.min(order.length, Math.max(200, 20 * a.k))));
    const top = pool.length ? a.scores[pool[0]!]! : 0;
    const bottom = pool.length ? a.scores[pool.at(-1)!]! : 0;
    const scale = top - bottom || 1;
    const maxSim = new Float32Array(pool.length).fill(-1);
    const used = new Uint8Array(pool.length);
    while (chosen.length < want) {
      let best = -1;
      let bestValue = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < pool.length; i++) {
        if (used[i] || capped(pool[i]!)) continue;
        const rel = (a.scores[pool[i]!]! - bottom) / scale;
        const value = lambda * rel - (1 - lambda) * (chosen.length ? maxSim[i]! : 0);
        if (value > bestValue) {
          bestValue = value;
          best = i;
        }
      }
      if (best < 0) break;
      used[best] = 1;
      take(pool[best]!, chosen);
      for (let i = 0; i < pool.length; i++) if (!used[i]) maxSim[i] = Math.max(maxSim[i]!, cosine(a.matrix, a.norms, pool[i]!, pool[best]!));
    }
    // The pool ran dry under the cap: go on down the full ranking.
    for (const row of order.subarray(pool.length)) {
      if (chosen.length >= want) break;
      if (!capped(row)) take(row, chosen);
    }
  }
  for (const p of [...pins].sort((x, y) => x.position - y.position)) chosen.splice(Math.min(p.position, chosen.length), 0, p.row);
  const rows = chosen.slice(0, a.k);
  return { rows, scores: rows.map((r) => a.scores[r]!) };
}
