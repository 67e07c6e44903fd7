/**
 * `catalog.add(items)`: checks the new products (the service then grows its catalog view by their text vectors:
 * an item never seen in training gets its text vector alone; docs/artifacts.md).
 */
import { LocalshelfError } from '../../src/errors';
import { MAX_ADD_ITEMS, type NewItem } from '../../src/search';
import { CatalogIndex } from '../catalog-index';

/** Longest product id and title a run-time product may have (catalog.add(), an update's new products). */
export const MAX_ID = 256;
export const MAX_TITLE = 1000;
const MAX_TEXT = 10_000;

/** Validated copies of `items`. @throws LocalshelfError `INVALID_ARGUMENT` (nothing is added then) */
export function checkNewItems(items: unknown, catalog: CatalogIndex): NewItem[] {
  if (!Array.isArray(items)) throw new LocalshelfError('INVALID_ARGUMENT', 'catalog.add() takes an array of items');
  if (items.length > MAX_ADD_ITEMS) throw new LocalshelfError('INVALID_ARGUMENT', `catalog.add() takes at most ${MAX_ADD_ITEMS} items a call; got ${items.length}`);
  const seen = new Set<string>();
  return items.map((raw: unknown, i): NewItem => {
    const it = raw as Partial<NewItem> | null;
    const where = `item ${i}`;
    if (!it || typeof it !== 'object') throw new LocalshelfError('INVALID_ARGUMENT', `${where} is not an object`);
    if (typeof it.id !== 'string' || it.id.length === 0 || it.id.length > MAX_ID) {
      throw new LocalshelfError('INVALID_ARGUMENT', `${where}: id must be a string of 1..${MAX_ID} characters`);
    }
    if (catalog.row(it.id) !== undefined || seen.has(it.id)) throw new LocalshelfError('INVALID_ARGUMENT', `${where}: id ${it.id} is already in the catalog`);
    seen.add(it.id);
    if (typeof it.title !== 'string' || it.title.trim().length === 0 || it.title.length > MAX_TITLE) {
      throw new LocalshelfError('INVALID_ARGUMENT', `${where}: title must be a non-empty string of at most ${MAX_TITLE} characters`);
    }
    if (it.text !== undefined && (typeof it.text !== 'string' || it.text.length > MAX_TEXT)) {
      throw new LocalshelfError('INVALID_ARGUMENT', `${where}: text must be a string of at most ${MAX_TEXT} characters`);
    }
    return it.text === undefined ? { id: it.id, title: it.title } : { id: it.id, title: it.title, text: it.text };
  });
}
