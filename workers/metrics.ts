/**
 * Slot metrics, on the device: every recommend()/related() call gets a `recommendationId` naming its slot; the
 * app echoes it on the impression, click, add-to-cart and purchase events it tracks, and `metrics()` counts them
 * per slot over the stored history. Nothing is sent anywhere: an app that wants the counters for an A/B test
 * reads them and reports them itself.
 */
import { describeValue, LocalshelfError } from '../src/errors';
import type { StoredEvent } from '../src/events';
import type { SlotMetrics } from '../src/protocol';

const SLOT = /^[\w .:/-]{1,64}$/;
let counter = 0;

/** @throws LocalshelfError `INVALID_ARGUMENT` for a slot name that is not 1..64 word characters, spaces, `.:/-` */
export function checkSlot(slot: unknown, fallback: string): string {
  const s = slot ?? fallback;
  if (typeof s !== 'string' || !SLOT.test(s)) throw new LocalshelfError('INVALID_ARGUMENT', `slot must be 1..64 letters, digits, spaces or _ . : / -; got ${describeValue(s)}`);
  return s;
}

/** `<slot>#<unique>`: unique within this device's history (time and a counter, base 36). */
export function recommendationId(slot: string): string {
  return `${slot}#${Date.now().toString(36)}${(++counter).toString(36)}`;
}

/** The slot a `recommendationId` names (`undefined` for one localshelf did not make). */
export function slotOf(id: string): string | undefined {
  const cut = id.lastIndexOf('#');
  return cut > 0 ? id.slice(0, cut) : undefined;
}

/** Counters per slot over `events`. */
export function slotMetrics(events: readonly StoredEvent[]): Record<string, SlotMetrics> {
  const out: Record<string, SlotMetrics> = Object.create(null) as Record<string, SlotMetrics>;
  for (const e of events) {
    const id = (e as { recommendationId?: string }).recommendationId;
    const slot = id === undefined ? undefined : slotOf(id);
    if (slot === undefined) continue;
    const m = (out[slot] ??= { shelves: 0, itemsShown: 0, clicks: 0, addToCart: 0, purchases: 0, ctr: 0, cartRate: 0, purchaseRate: 0 });
    if (e.type === 'impression') {
      m.shelves++;
      m.itemsShown += e.itemIds.length;
    } else if (e.type === 'click') m.clicks++;
    else if (e.type === 'add_to_cart') m.addToCart++;
    else if (e.type === 'purchase') m.purchases++;
  }
  for (const m of Object.values(out)) {
    m.ctr = m.shelves ? m.clicks / m.shelves : 0;
    m.cartRate = m.shelves ? m.addToCart / m.shelves : 0;
    m.purchaseRate = m.shelves ? m.purchases / m.shelves : 0;
  }
  return out;
}
