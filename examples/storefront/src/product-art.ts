/**
 * Product pictures: the data set has no images, so each product gets a drawn package for its category in a
 * colour derived from its id. Clearly illustrations, never passed off as photos.
 */
import { hash, type Category, type Product } from './catalog';

const NS = 'http://www.w3.org/2000/svg';
type Shape = [tag: string, attrs: Record<string, string | number>];

function el(tag: string, attrs: Record<string, string | number>): SVGElement {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** Shapes in a 100×100 box; `P` is the product colour, `D` a darker shade, `M` metal, `L` a light highlight. */
const SHAPES: Record<Category, Shape[]> = {
  Nails: [
    ['rect', { x: 41, y: 14, width: 18, height: 34, rx: 3, fill: 'D' }],
    ['rect', { x: 28, y: 46, width: 44, height: 42, rx: 10, fill: 'P' }],
    ['rect', { x: 34, y: 52, width: 7, height: 28, rx: 3, fill: 'L' }],
  ],
  Lips: [
    ['path', { d: 'M40 52 L40 26 Q40 18 50 14 L60 20 L60 52 Z', fill: 'P' }],
    ['rect', { x: 36, y: 50, width: 28, height: 10, rx: 2, fill: 'M' }],
    ['rect', { x: 34, y: 58, width: 32, height: 32, rx: 3, fill: 'D' }],
  ],
  Eyes: [
    ['rect', { x: 20, y: 44, width: 44, height: 12, rx: 6, fill: 'D' }],
    ['rect', { x: 62, y: 46, width: 14, height: 8, rx: 2, fill: 'M' }],
    ['rect', { x: 74, y: 48.5, width: 10, height: 3, fill: 'M' }],
    ['rect', { x: 82, y: 45, width: 8, height: 10, rx: 4, fill: 'P' }],
  ],
  Face: [
    ['circle', { cx: 50, cy: 52, r: 34, fill: 'D' }],
    ['circle', { cx: 50, cy: 52, r: 26, fill: 'P' }],
    ['ellipse', { cx: 42, cy: 44, rx: 9, ry: 5, fill: 'L', opacity: 0.7 }],
  ],
  Hair: [
    ['rect', { x: 46, y: 10, width: 8, height: 16, fill: 'M' }],
    ['rect', { x: 46, y: 10, width: 22, height: 6, rx: 2, fill: 'M' }],
    ['rect', { x: 40, y: 24, width: 20, height: 10, rx: 2, fill: 'D' }],
    ['rect', { x: 32, y: 32, width: 36, height: 58, rx: 8, fill: 'P' }],
    ['rect', { x: 37, y: 50, width: 26, height: 22, rx: 2, fill: 'L' }],
  ],
  'Skin care': [
    ['rect', { x: 24, y: 36, width: 52, height: 14, rx: 4, fill: 'D' }],
    ['rect', { x: 26, y: 48, width: 48, height: 36, rx: 9, fill: 'P' }],
    ['rect', { x: 34, y: 58, width: 32, height: 14, rx: 2, fill: 'L' }],
  ],
  Fragrance: [
    ['rect', { x: 42, y: 14, width: 16, height: 14, rx: 2, fill: 'M' }],
    ['rect', { x: 46, y: 27, width: 8, height: 10, fill: 'D' }],
    ['rect', { x: 26, y: 36, width: 48, height: 52, rx: 12, fill: 'P', opacity: 0.85 }],
    ['rect', { x: 33, y: 44, width: 8, height: 34, rx: 4, fill: 'L', opacity: 0.8 }],
  ],
  'Bath & body': [
    ['path', { d: 'M32 16 L68 16 L64 74 L36 74 Z', fill: 'P' }],
    ['rect', { x: 38, y: 74, width: 24, height: 14, rx: 3, fill: 'D' }],
    ['rect', { x: 30, y: 14, width: 40, height: 5, rx: 1, fill: 'D' }],
  ],
  Tools: [
    ['rect', { x: 45, y: 44, width: 10, height: 48, rx: 5, fill: 'D' }],
    ['rect', { x: 43, y: 34, width: 14, height: 12, fill: 'M' }],
    ['path', { d: 'M43 35 Q38 18 50 8 Q62 18 57 35 Z', fill: 'P' }],
  ],
  Beauty: [
    ['circle', { cx: 50, cy: 20, r: 7, fill: 'D' }],
    ['rect', { x: 45, y: 24, width: 10, height: 14, fill: 'D' }],
    ['rect', { x: 30, y: 36, width: 40, height: 52, rx: 8, fill: 'P' }],
    ['rect', { x: 36, y: 52, width: 28, height: 18, rx: 2, fill: 'L' }],
  ],
};

/** Rose, berry, plum, lavender, violet, sky, teal, mint, gold, peach, coral, red. */
const HUES = [340, 325, 300, 270, 250, 205, 180, 150, 45, 28, 12, 355];

export function productArt(product: Product, size: 'card' | 'large' = 'card'): SVGSVGElement {
  const hue = HUES[hash(product.id) % HUES.length]!;
  const colours: Record<string, string> = {
    P: `hsl(${hue} 52% 58%)`,
    D: `hsl(${hue} 35% 30%)`,
    M: `hsl(${(hue + 40) % 360} 12% 72%)`,
    L: `hsl(${hue} 70% 90%)`,
  };
  const svg = el('svg', { viewBox: '0 0 100 100', class: `art art-${size}`, role: 'img', 'aria-label': `${product.category} illustration` }) as SVGSVGElement;
  svg.appendChild(el('rect', { x: 0, y: 0, width: 100, height: 100, fill: `hsl(${hue} 45% 95%)` }));
  svg.appendChild(el('ellipse', { cx: 50, cy: 91, rx: 30, ry: 4, fill: `hsl(${hue} 20% 85%)` }));
  for (const [tag, attrs] of SHAPES[product.category]) {
    const fill = attrs.fill;
    svg.appendChild(el(tag, { ...attrs, fill: typeof fill === 'string' && fill in colours ? colours[fill]! : String(fill) }));
  }
  return svg;
}
