/**
 * Gives every product of a demo model folder a `category` attribute ("Beauty > Nails", "Beauty > Lips", …, or
 * "Beauty"), from its title with the storefront's own rules (src/catalog.ts), and re-hashes catalog.json in the
 * manifest. Amazon Beauty has no category names (the S3-Rec attributes are unnamed ids), so the demo derives them;
 * a store's own catalog brings its category column through the training command instead (docs/own-data.md).
 * The attribute is catalog data for `rules.where`, not model input: the encoder and item matrix are unchanged.
 *
 *   npx tsx examples/storefront/tools/categorize-catalog.ts public/models/beauty
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { categoryPath, categorize } from '../src/catalog';

const folder = process.argv[2];
if (!folder) throw new Error('usage: categorize-catalog.ts <model folder>');
const manifestPath = join(folder, 'manifest.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files: { catalog: string }; sha256: Record<string, string> };
const catalogPath = join(folder, manifest.files.catalog);
const catalog = JSON.parse(readFileSync(catalogPath, 'utf8')) as { items: { id: string; title?: string; category?: string }[] };
const counts = new Map<string, number>();
for (const item of catalog.items) {
  item.category = categoryPath(categorize(item.title ?? ''));
  counts.set(item.category, (counts.get(item.category) ?? 0) + 1);
}
const bytes = Buffer.from(JSON.stringify(catalog), 'utf8');
writeFileSync(catalogPath, bytes);
manifest.sha256[manifest.files.catalog] = createHash('sha256').update(bytes).digest('hex');
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
console.log([...counts].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c}: ${n}`).join('\n'));
