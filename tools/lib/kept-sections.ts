/**
 * Reports that one command regenerates (EVAL.md, BENCHMARKS.md) also hold sections that other tools own, marked
 * `<!-- name:begin -->` … `<!-- name:end -->` (search, freshness, the store benchmark). Carrying them over from the
 * file being replaced means regenerating the report never drops them.
 */
import { readFileSync } from 'node:fs';

/** `md` plus every marked section of the file at `path` that `md` does not already contain. */
export function withKeptSections(md: string, path: string): string {
  let previous = '';
  try {
    previous = readFileSync(path, 'utf8');
  } catch {
    return md;
  }
  const kept = [...previous.matchAll(/<!-- ([\w-]+):begin -->[\s\S]*?<!-- \1:end -->/g)].map((m) => m[0]);
  const fresh = kept.filter((block) => !md.includes(block.slice(0, block.indexOf('-->') + 3)));
  return fresh.length ? `${md.trimEnd()}\n\n${fresh.join('\n\n')}\n` : md;
}
