/**
 * Queries built from a target item's title, for two tasks:
 *
 * - personalized product search in the manner of Ai et al. (2017, "Learning a Hierarchical Embedding Model for
 *   Personalized Product Search"): they built each query from the target's category path, a generic description
 *   many items share. Beauty has titles only, so the query is the target title's two most *common* content words
 *   (highest document frequency, each in 20+ titles; brand, numbers and units left out): "nail polish", "shampoo hair", the kind of
 *   query that matches hundreds of products and leaves the choice among them to the shopper's taste;
 * - known-item search: a shopper who remembers the product types the brand and its two rarest title words.
 */
import { processTerm } from '../../workers/search/lexical-index';

/** Units and packaging words: no shopper searches by them. */
const NOISE = new Set('oz ounce ounces fl ml g gram grams lb pack count pcs pc piece pieces set size ct x inch inches new'.split(' '));

/** Content terms of a title, in order: tokenized and processed like the index, numbers and units dropped. */
export function contentTerms(title: string): string[] {
  const out: string[] = [];
  for (const raw of title.split(/[\s\p{P}]+/u)) {
    const t = raw ? processTerm(raw) : null;
    if (!t || /\d/.test(t) || t.length < 2 || NOISE.has(t)) continue;
    if (!out.includes(t)) out.push(t);
  }
  return out;
}

/** Document frequency of every content term over the catalog titles. */
export function documentFrequency(titles: readonly string[]): Map<string, number> {
  const df = new Map<string, number>();
  for (const title of titles) for (const t of contentTerms(title)) df.set(t, (df.get(t) ?? 0) + 1);
  return df;
}

/** Ai et al.-style query: the `n` most common content words of the title except its first (brand), title order. */
export function categoryQuery(title: string, df: ReadonlyMap<string, number>, n = 2): string | undefined {
  const terms = contentTerms(title);
  const brand = terms[0];
  const rest = terms.filter((t) => t !== brand && (df.get(t) ?? 0) >= 20);
  if (rest.length < 2) return undefined;
  const chosen = new Set([...rest].sort((a, b) => (df.get(b) ?? 0) - (df.get(a) ?? 0)).slice(0, n));
  return rest.filter((t) => chosen.has(t)).join(' ');
}

/** Known-item query: the title's first word (usually the brand) and its `n` rarest other content words. */
export function knownItemQuery(title: string, df: ReadonlyMap<string, number>, n = 2): string | undefined {
  const terms = contentTerms(title);
  if (terms.length < n + 1) return undefined;
  const [brand, ...rest] = terms;
  const rare = [...rest].sort((a, b) => (df.get(a) ?? 0) - (df.get(b) ?? 0)).slice(0, n);
  return [brand!, ...rest.filter((t) => rare.includes(t))].join(' ');
}

/** Deterministic sample of `n` indices out of `0..total-1` (xorshift, seeded). */
export function sample(total: number, n: number, seed = 1): number[] {
  const idx = Array.from({ length: total }, (_, i) => i);
  let s = seed >>> 0 || 1;
  for (let i = total - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, Math.min(n, total)).sort((a, b) => a - b);
}
