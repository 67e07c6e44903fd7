/**
 * The shop's catalog on the main thread: the model's catalog.json (ids, titles, popularity), loaded once for
 * product pages, search and the bestseller grid. The worker loads its own copy for scoring.
 */
export interface Product {
  id: string;
  title: string;
  popularity: number;
  category: Category;
  /** Illustrative price in cents: the data set has none and nothing is sold. */
  priceCents: number;
}

export const CATEGORIES = ['Nails', 'Lips', 'Eyes', 'Face', 'Hair', 'Skin care', 'Fragrance', 'Bath & body', 'Tools', 'Beauty'] as const;
export type Category = (typeof CATEGORIES)[number];

/** First match wins; a title that matches nothing is plain "Beauty". */
const CATEGORY_RULES: [Category, RegExp][] = [
  ['Nails', /\b(nails?|nail\w+|lacquer|manicure|cuticles?|pedicure|polish|essie|china glaze|opi|top coat|base coat)\b/i],
  ['Fragrance', /\b(fragrance|perfume|parfum|cologne|eau de|toilette|edt|edp)\b(?![- ]free)/i],
  ['Lips', /\blip(s|stick| gloss| balm| liner)?\b/i],
  ['Eyes', /\b(eye\w*|mascara|lash\w*|brows?|liner)\b/i],
  ['Tools', /\b(brush|comb|tweezer|sponge|clipper|dryer|curling|flat iron|straightener|razor|mirror|applicator|mitt|callus)/i],
  ['Hair', /\b(hair|shampoo|conditioner|scalp|styling|mousse|pomade|blow ?out|dye|curl)/i],
  ['Face', /\b(foundation|concealer|powder|blush|bronzer|primer|highlighter|bb cream|cc cream|palette|makeup)/i],
  ['Bath & body', /\b(body|bath|shower|soap|deodorant|hand cream|scrub|cellulite)/i],
  ['Skin care', /\b(skin|serum|moistur|cream|creme|lotion|cleans|toner|mask|clay|spf|sunscreen|acne|anti-aging|wrinkle|facial|face|exfoliat|peel|pore|oil|brighten|whiten|microderm)/i],
];

export function categorize(title: string): Category {
  return CATEGORY_RULES.find(([, re]) => re.test(title))?.[0] ?? 'Beauty';
}

/** The category as a catalog path (the model's catalog.json holds it: tools/categorize-catalog.ts). */
export function categoryPath(category: Category): string {
  return category === 'Beauty' ? 'Beauty' : `Beauty > ${category}`;
}

/** The `category` attribute of catalog.json back to a category; a path this shop does not know: from the title. */
function fromPath(path: unknown, title: string): Category {
  const last = typeof path === 'string' ? path.split('>').at(-1)!.trim() : '';
  return (CATEGORIES as readonly string[]).includes(last) ? (last as Category) : categorize(title);
}

/** FNV-1a: a stable small hash for illustrative prices and product art colours. */
export function hash(text: string): number {
  let x = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) x = Math.imul(x ^ text.charCodeAt(i), 0x01000193);
  // murmur3's finalizer: similar ids (ASINs share prefixes) still get unrelated colours and prices
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

const entityParser = typeof DOMParser === 'undefined' ? undefined : new DOMParser();

/** Amazon titles carry HTML entities (`&egrave;`, `&#9733;`); decode them as text, never as markup. */
function decodeEntities(text: string): string {
  if (!text.includes('&') || !entityParser) return text;
  return entityParser.parseFromString(`<!doctype html><body>${text.replace(/</g, '&lt;')}`, 'text/html').body.textContent ?? text;
}

export class Catalog {
  readonly products: Product[];
  readonly #byId = new Map<string, Product>();

  constructor(items: { id: string; title?: string; popularity?: number; category?: string }[]) {
    this.products = items.map((item) => {
      const title = decodeEntities(item.title ?? '').trim() || `Untitled product ${item.id}`;
      const h = hash(item.id);
      return { id: item.id, title, popularity: item.popularity ?? 0, category: fromPath(item.category, title), priceCents: 399 + (h % 46) * 100 + (h % 2 ? 99 : 50) };
    });
    for (const p of this.products) this.#byId.set(p.id, p);
  }

  get(id: string): Product | undefined {
    return this.#byId.get(id);
  }

  get size(): number {
    return this.products.length;
  }

  /** Most interactions in the training data first. */
  bestsellers(n: number, category?: Category, skip: ReadonlySet<string> = new Set()): Product[] {
    const pool = this.products.filter((p) => (!category || p.category === category) && !skip.has(p.id));
    return [...pool].sort((a, b) => b.popularity - a.popularity).slice(0, n);
  }
}

/** Reads the model's manifest, then the catalog it names (resolved against the manifest, as the worker does). */
export async function loadCatalog(manifestUrl: string): Promise<Catalog> {
  const manifest = (await getJson(manifestUrl)) as { files?: { catalog?: string } };
  const file = manifest.files?.catalog;
  if (typeof file !== 'string') throw new Error(`${manifestUrl} names no catalog file`);
  const catalog = (await getJson(new URL(file, manifestUrl).href)) as { items?: { id: string; title?: string; popularity?: number }[] };
  if (!Array.isArray(catalog.items)) throw new Error(`${file} has no items array`);
  return new Catalog(catalog.items);
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

export function formatPrice(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}
