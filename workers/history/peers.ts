/**
 * The other tabs: workers of the same `storageName` tell each other, over a BroadcastChannel, which events they
 * stored and when the history was cleared, so each tab's recommendations see what the shopper does in the
 * others without re-reading IndexedDB. Messages carry only events the shopper made on this device; they never
 * leave the browser.
 */
import { validateEvent, type StoredEvent } from '../../src/events';

interface PeerMessage {
  kind: 'added' | 'cleared';
  events?: readonly StoredEvent[];
}

export interface PeerHandlers {
  added(events: StoredEvent[]): void;
  cleared(): void;
}

export class HistoryPeers {
  readonly #channel: BroadcastChannel | undefined;

  constructor(storageName: string, handlers: PeerHandlers) {
    if (typeof BroadcastChannel === 'undefined') return;
    this.#channel = new BroadcastChannel(`localshelf:history:${storageName}`);
    this.#channel.onmessage = (event: MessageEvent<PeerMessage>) => {
      const m = event.data;
      if (m?.kind === 'cleared') handlers.cleared();
      else if (m?.kind === 'added' && Array.isArray(m.events)) {
        const events: StoredEvent[] = [];
        for (const e of m.events) {
          try {
            events.push({ ...validateEvent(e), ...(typeof e.seq === 'number' ? { seq: e.seq } : {}) });
          } catch {
            /* not an event: ignored */
          }
        }
        if (events.length) handlers.added(events);
      }
    };
  }

  added(events: readonly StoredEvent[]): void {
    this.#channel?.postMessage({ kind: 'added', events } satisfies PeerMessage);
  }

  cleared(): void {
    this.#channel?.postMessage({ kind: 'cleared' } satisfies PeerMessage);
  }

  close(): void {
    this.#channel?.close();
  }
}
