/**
 * The two search tasks over the same cases: rank of the target for the personalized-product-search query and
 * for the known-item query, with each variant (lexical only, semantic only, hybrid, hybrid + personal, Orama).
 */
import type { ItemMatrix } from '../../workers/engine/item-matrix';
import type { FusionWeights } from '../../workers/search/fuse';
import { fused, percentiles, personalScorer, rankOf, retrieve, summarize, type Stack } from './harness';
import { oramaSearch, type OramaBaseline } from './orama';

export interface Case {
  user: number;
  history: number[];
  target: number;
  /** Ai et al.-style query (generic title words). */
  ps: string;
  /** Known-item query (brand + rare title words). */
  ki: string;
}

export type Metrics = ReturnType<typeof summarize>;

export interface TaskResult {
  variants: { label: string; metrics: Metrics; ms?: { p50: number; p95: number } }[];
  ms: { embed: number[] };
  examples: string[];
}

/** Grid search of the fusion weights on validation cases: both tasks, personalized. */
export async function tune(
  stack: Stack,
  cases: readonly Case[],
  vectors: Float32Array,
  log: (m: string) => void,
): Promise<{ best: FusionWeights; rows: { weights: FusionWeights; ps: number; ki: number }[] }> {
  const dim = stack.matrix.dim;
  const lexicals = [0.3, 0.5, 0.6, 0.7, 0.8, 0.9];
  const personals = [0, 0.1, 0.2, 0.3, 0.5, 0.8];
  const acc = new Map<string, { ps: number[]; ki: number[] }>();
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    const personal = personalScorer(stack.matrix, vectors.subarray(i * dim, (i + 1) * dim));
    for (const task of ['ps', 'ki'] as const) {
      const r = await retrieve(stack, c[task]);
      for (const lexical of lexicals) {
        for (const p of personals) {
          const key = `${lexical}/${p}`;
          const entry = acc.get(key) ?? { ps: [], ki: [] };
          acc.set(key, entry);
          entry[task].push(rankOf(fused(r, stack.matrix.rows, { lexical, personal: p }, personal), c.target));
        }
      }
    }
    if ((i + 1) % 250 === 0) log(`tuning: ${i + 1}/${cases.length}`);
  }
  const rows = [...acc.entries()].map(([key, v]) => {
    const [lexical, personal] = key.split('/').map(Number) as [number, number];
    return { weights: { lexical, personal }, ps: summarize(v.ps).ndcg, ki: summarize(v.ki).mrr };
  });
  const objective = (r: (typeof rows)[number]): number => (r.ps + r.ki) / 2;
  const best = rows.reduce((a, b) => (objective(b) > objective(a) ? b : a)).weights;
  return { best, rows };
}

/** Ranks of the targets for one task under every variant, with timings. */
export async function evaluateTask(
  stack: Stack,
  orama: OramaBaseline,
  cases: readonly Case[],
  vectors: Float32Array,
  task: 'ps' | 'ki',
  weights: FusionWeights,
  log: (m: string) => void,
  titles?: { matrix: ItemMatrix; norms: Float32Array },
): Promise<TaskResult> {
  const dim = stack.matrix.dim;
  const rows = stack.matrix.rows;
  const ranks: Record<string, number[]> = { lexical: [], semantic: [], hybrid: [], personal: [], orama: [], oramaText: [], oramaOurs: [], tSemantic: [], tHybrid: [], tPersonal: [] };
  const ms = { embed: [] as number[], ours: [] as number[], oursPersonal: [] as number[], orama: [] as number[], oramaText: [] as number[], lexical: [] as number[] };
  const examples: string[] = [];
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    const query = c[task];
    const r = await retrieve(stack, query);
    const personal = personalScorer(stack.matrix, vectors.subarray(i * dim, (i + 1) * dim));
    ranks.lexical!.push(rankOf(fusedLexicalOnly(r, rows), c.target));
    ranks.semantic!.push(rankOf(fused({ ...r, lexical: [] }, rows, { lexical: 0, personal: 0 }), c.target));
    let t = performance.now();
    const plain = fused(r, rows, { ...weights, personal: 0 });
    const fuseMs = performance.now() - t;
    t = performance.now();
    const mine = fused(r, rows, weights, personal);
    const fusePersonalMs = performance.now() - t;
    ranks.hybrid!.push(rankOf(plain, c.target));
    ranks.personal!.push(rankOf(mine, c.target));
    const at = (rowsOut: number[]): number => {
      const k = rowsOut.indexOf(c.target);
      return k < 0 ? Infinity : k + 1;
    };
    const o = await oramaSearch(orama, query, r.vector);
    ranks.orama!.push(at(o.rows));
    const ot = await oramaSearch(orama, query, undefined);
    ranks.oramaText!.push(at(ot.rows));
    ms.oramaText.push(ot.ms);
    ranks.oramaOurs!.push(at((await oramaSearch(orama, query, r.vector, { text: weights.lexical, vector: 1 - weights.lexical })).rows));
    ms.lexical.push(r.ms.lexical);
    if (titles) {
      const rt = await retrieve(stack, query, titles.matrix, titles.norms, r.vector);
      ranks.tSemantic!.push(rankOf(fused({ ...rt, lexical: [] }, rows, { lexical: 0, personal: 0 }), c.target));
      ranks.tHybrid!.push(rankOf(fused(rt, rows, { ...weights, personal: 0 }), c.target));
      ranks.tPersonal!.push(rankOf(fused(rt, rows, weights, personal), c.target));
    }
    ms.embed.push(r.ms.embed);
    ms.ours.push(r.ms.lexical + r.ms.semantic + fuseMs);
    ms.oursPersonal.push(r.ms.lexical + r.ms.semantic + fusePersonalMs);
    ms.orama.push(o.ms);
    if (examples.length < 3 && i % 97 === 5) examples.push(`\`${query}\``);
    if ((i + 1) % 500 === 0) log(`${task}: ${i + 1}/${cases.length}`);
  }
  return {
    variants: [
      { label: 'lexical only (MiniSearch BM25+)', metrics: summarize(ranks.lexical!), ms: percentiles(ms.lexical) },
      { label: 'Orama full-text (BM25)', metrics: summarize(ranks.oramaText!), ms: percentiles(ms.oramaText) },
      { label: 'semantic only (text encoder, cosine)', metrics: summarize(ranks.semantic!) },
      { label: 'Orama hybrid, its default weights, same vectors', metrics: summarize(ranks.orama!), ms: percentiles(ms.orama) },
      { label: `Orama hybrid, weights ${weights.lexical} / ${(1 - weights.lexical).toFixed(1)} like ours`, metrics: summarize(ranks.oramaOurs!) },
      { label: '**localshelf hybrid, not personalized**', metrics: summarize(ranks.hybrid!), ms: percentiles(ms.ours) },
      { label: '**localshelf hybrid + personal re-rank**', metrics: summarize(ranks.personal!), ms: percentiles(ms.oursPersonal) },
      ...(titles
        ? [
            { label: 'semantic only, over title text vectors', metrics: summarize(ranks.tSemantic!) },
            { label: 'hybrid, title text vectors', metrics: summarize(ranks.tHybrid!) },
            { label: 'hybrid, title text vectors + personal', metrics: summarize(ranks.tPersonal!) },
          ]
        : []),
    ],
    ms: { embed: ms.embed },
    examples,
  };
}

function fusedLexicalOnly(r: Awaited<ReturnType<typeof retrieve>>, rows: number): ReturnType<typeof fused> {
  return fused({ ...r, semantic: undefined as never }, rows, { lexical: 1, personal: 0 });
}
