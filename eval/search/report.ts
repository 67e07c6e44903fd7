/**
 * The search section of EVAL.md, and its replacement between markers (the rest of the file belongs to
 * eval/evaluate.ts).
 */
import { CANDIDATES, type FusionWeights } from '../../workers/search/fuse';
import type { ColdResult } from './cold';
import type { Metrics, TaskResult } from './tasks';
import { replaceMarkedSection, sectionMarkers } from '../sections';

export const { begin: BEGIN, end: END } = sectionMarkers('search');

export interface SectionInput {
  model: string;
  coldModel?: string;
  items: number;
  indexMs: number;
  oramaBuildMs: number;
  weights: FusionWeights;
  defaults: FusionWeights;
  grid: { rows: { weights: FusionWeights; ps: number; ki: number }[] };
  ps: TaskResult;
  ki: TaskResult;
  cold?: ColdResult;
  embed: { p50: number; p95: number };
  seconds: number;
  command: string;
}

const f4 = (x: number): string => x.toFixed(4);
const ms = (m?: { p50: number; p95: number }): string => (m ? `${m.p50.toFixed(2)} / ${m.p95.toFixed(2)}` : '—');

function table(task: TaskResult, cols: 'ps' | 'ki'): string {
  const head =
    cols === 'ps'
      ? '| variant | HR@10 | NDCG@10 | MRR | ms p50 / p95 |\n|---|---|---|---|---|'
      : '| variant | HR@1 | HR@10 | MRR | ms p50 / p95 |\n|---|---|---|---|---|';
  const row = (label: string, m: Metrics, t?: { p50: number; p95: number }): string =>
    cols === 'ps'
      ? `| ${label} | ${f4(m.hr)} | ${f4(m.ndcg)} | ${f4(m.mrr)} | ${ms(t)} |`
      : `| ${label} | ${f4(m.hr1)} | ${f4(m.hr)} | ${f4(m.mrr)} | ${ms(t)} |`;
  return [head, ...task.variants.map((v) => row(v.label, v.metrics, v.ms))].join('\n');
}

export function renderSection(s: SectionInput): string {
  const n = s.ps.variants[0]!.metrics.n;
  const best = [...s.grid.rows].sort((a, b) => b.ps + b.ki - (a.ps + a.ki)).slice(0, 5);
  const lines = [
    BEGIN,
    '## Search',
    '',
    `Command: \`${s.command}\` (${s.seconds.toFixed(0)} s on this machine, 2 shared cores). Model: \`${s.model}\`, ` +
      `${s.items} items. Every figure comes from the engine's own code (\`workers/search/\`: MiniSearch index, ` +
      'text encoder (WordPiece + text tower) on onnxruntime-node, `fuse()`), with user vectors from the exported int8 encoder.',
    '',
    `**Protocol.** ${n} test users sampled (seed 7) from the leave-one-out test split (target = last item, history = ` +
      'every earlier item); the fusion weights were chosen on a disjoint sample of validation users (target = ' +
      'second-last item), never on test users. The rank of the target is taken over the whole catalog; a target ' +
      `outside the candidate pool (up to ${CANDIDATES.lexical} lexical + ${CANDIDATES.semantic} semantic) counts as a miss.`,
    '',
    '- *Personalized product search* (after Ai et al., 2017, who built queries from the target\'s category path): ' +
      "the query is the target title's two most common content words, each in 20+ titles, brand, numbers and units " +
      `left out (e.g. ${s.ps.examples.join(', ')}): generic queries that match hundreds of products.`,
    `- *Known-item search*: the title's first word (usually the brand) and its two rarest words (e.g. ${s.ki.examples.join(', ')}).`,
    '- *Orama*: `@orama/orama` over the same titles and item vectors, with the same query vectors: full-text (BM25), ' +
      'hybrid with its default weights, and hybrid with our lexical/semantic weights; its build and query times are ' +
      'measured in the same run.',
    '',
    '### Personalized product search',
    table(s.ps, 'ps'),
    '',
    '### Known-item search',
    table(s.ki, 'ki'),
    '',
    `Latency is per query in this Node process, excluding the query embedding, which both share: text encoder ` +
      `${ms(s.embed)} ms (p50 / p95); the personal re-rank also needs the shopper's user vector (one run of the ` +
      `history encoder, not included). Lexical-only and Orama full-text times are retrieval alone. Index build: MiniSearch ${s.indexMs.toFixed(0)} ms, Orama ` +
      `${s.oramaBuildMs.toFixed(0)} ms (with vectors). Orama's full-text defaults match every query term as a prefix ` +
      '("hair" finds "haircut", "hairpins") and score those like whole words, which costs it precision here; ' +
      'MiniSearch is configured to treat only the last term as a prefix.',
    '',
    `**Weights.** Chosen on validation: lexical ${s.weights.lexical}, semantic ${(1 - s.weights.lexical).toFixed(1)}, ` +
      `largest personal boost ${s.weights.personal} (the library's defaults: lexical ${s.defaults.lexical}, ` +
      `personal ${s.defaults.personal}). Best five of the grid (validation NDCG@10 of the personalized-search task / ` +
      'known-item MRR):',
    '',
    '| lexical | personal | PS NDCG@10 | KI MRR |',
    '|---|---|---|---|',
    ...best.map((r) => `| ${r.weights.lexical} | ${r.weights.personal} | ${f4(r.ps)} | ${f4(r.ki)} |`),
  ];
  if (s.cold) {
    const c = s.cold;
    lines.push(
      '',
      `### Cold start through \`catalog.add()\``,
      '',
      `Model \`${s.coldModel}\`: trained with ${c.withheld} items withheld entirely. The engine starts with the warm ` +
        `catalog; the ${c.coldItems} withheld items that have a title are added with \`SearchEngine.addItems\` (titles ` +
        `embedded by the text encoder, ${c.addMs.toFixed(0)} ms for all), then recommended and searched. Recommendation ` +
        'ranks are over the whole grown catalog, history items included.',
      '',
      '| what | users / items | HR@10 | NDCG@10 | MRR | HR@1 |',
      '|---|---|---|---|---|---|',
      `| recommend: target is a withheld item, vectors added at run time | ${c.users} | ${f4(c.recommend.added.hr)} | ${f4(c.recommend.added.ndcg)} | ${f4(c.recommend.added.mrr)} | ${f4(c.recommend.added.hr1)} |`,
      `| recommend: same users, text-only rows as exported by PyTorch | ${c.users} | ${f4(c.recommend.exported.hr)} | ${f4(c.recommend.exported.ndcg)} | ${f4(c.recommend.exported.mrr)} | ${f4(c.recommend.exported.hr1)} |`,
      `| known-item search: withheld (added) items | ${c.knownItem.cold.n} | ${f4(c.knownItem.cold.hr)} | ${f4(c.knownItem.cold.ndcg)} | ${f4(c.knownItem.cold.mrr)} | ${f4(c.knownItem.cold.hr1)} |`,
      `| known-item search: as many catalog items | ${c.knownItem.warm.n} | ${f4(c.knownItem.warm.hr)} | ${f4(c.knownItem.warm.ndcg)} | ${f4(c.knownItem.warm.mrr)} | ${f4(c.knownItem.warm.hr1)} |`,
    );
  }
  lines.push(END);
  return `${lines.join('\n')}\n`;
}

/** `text` with its search section replaced by `section` (appended when there is none yet). */
export function replaceSection(text: string, section: string): string {
  return replaceMarkedSection(text, 'search', section);
}
