/**
 * The page side of `npm run bench:lexical`: builds a LexicalIndex over the titles given (or generated ones), then
 * saves and restores it the way 0.2.0 does (`serialize` / `deserialize`, in parts) and the way earlier versions did (`toJSON` /
 * `fromJSON`, one string), timing each and the longest the event loop was held meanwhile (a 0 ms timer re-armed
 * all along: the longest gap between its runs).
 */
import { LexicalIndex } from '../../workers/search/lexical-index';

export interface Phase {
  phase: string;
  ms: number;
  longestBlockMs: number;
}

async function timed<T>(phase: string, f: () => Promise<T> | T, out: Phase[]): Promise<T> {
  let last = performance.now();
  let longest = 0;
  let on = true;
  const tick = (): void => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (on) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  const t0 = performance.now();
  const r = await f();
  const ms = performance.now() - t0;
  longest = Math.max(longest, performance.now() - last);
  on = false;
  out.push({ phase, ms, longestBlockMs: longest });
  return r;
}

/** `titles` given: those (a real catalog's); else `n` generated from `kinds` and `words`. */
async function run(n: number, kinds: string[], words: string[], titles?: string[]): Promise<{ phases: Phase[]; parts: number; chars: number }> {
  const docs = titles
    ? titles.map((title, id) => ({ id, title }))
    : Array.from({ length: n }, (_, i) => ({
        id: i,
        title: `${kinds[i % kinds.length]} ${words[(i * 7) % words.length]} ${words[(i * 13) % words.length]} no. ${i}`,
      }));
  n = docs.length;
  const phases: Phase[] = [];
  const index = await timed('build (buildInChunks)', () => LexicalIndex.buildInChunks(docs), phases);
  const json = await timed('save, earlier versions (toJSON: one string)', () => index.toJSON(), phases);
  await timed('restore, earlier versions (fromJSON)', () => LexicalIndex.fromJSON(json), phases);
  const parts = await timed('save, 0.2.0 (serialize: parts)', () => index.serialize(), phases);
  const back = await timed('restore, 0.2.0 (deserialize)', () => LexicalIndex.deserialize(parts), phases);
  if (back.size !== n) throw new Error(`restored ${back.size} of ${n} documents`);
  return { phases, parts: parts.length, chars: parts.reduce((s, p) => s + p.length, 0) };
}

(globalThis as unknown as { lexicalBench: typeof run }).lexicalBench = run;
