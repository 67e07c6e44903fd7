/**
 * Readable verdicts on agreement: int8 vs fp32 (paired, per user, against the 1 % target) and ONNX vs the
 * PyTorch figure of metrics.json (within two standard errors of the mean).
 */
import { pairedNdcgDiff } from './metrics';
import type { VariantResult } from './report';
import type { Ran } from './run-variant';

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;

/** Compare two ONNX runs (paired) and one against the PyTorch figure; push readable verdicts. */
export function agreementNotes(
  notes: string[],
  int8: Ran | undefined,
  fp32: Ran | undefined,
  torch: VariantResult | undefined,
  mask: Uint8Array | undefined,
  what: string,
): void {
  if (int8 && fp32) {
    const d = pairedNdcgDiff(fp32.run.ranksExcluded, int8.run.ranksExcluded, 10, mask);
    const rel = d.meanA > 0 ? d.diff / d.meanA : 0;
    notes.push(
      `${what}: int8 vs fp32 NDCG@10 ${d.meanB.toFixed(4)} vs ${d.meanA.toFixed(4)}, relative difference ` +
        `${pct(rel)} (paired standard error ${d.stdErr.toPrecision(2)}): ` +
        (Math.abs(rel) <= 0.01 ? '**within the 1 % target**.' : '**outside the 1 % target**.'),
    );
  }
  const onnx = fp32 ?? int8;
  if (onnx && torch) {
    const ours = onnx.result('', mask).excluded;
    if (torch.excluded.users !== ours.users) {
      notes.push(
        `${what}: **PyTorch figure is over ${torch.excluded.users} users, ours over ${ours.users}: not comparable** ` +
          '(was the run trained with --max-users? evaluate with the same --max-users).',
      );
      return;
    }
    const diff = ours.ndcg[10]! - torch.excluded.ndcg[10]!;
    const noise = 2 * ours.ndcgStdErr;
    notes.push(
      `${what}: ONNX ${fp32 ? 'fp32' : 'int8'} vs PyTorch NDCG@10 ${ours.ndcg[10]!.toFixed(4)} vs ` +
        `${torch.excluded.ndcg[10]!.toFixed(4)} (difference ${diff.toFixed(4)}; two standard errors of the mean ` +
        `${noise.toFixed(4)}): ` +
        (Math.abs(diff) <= noise ? 'agree within noise.' : '**disagree beyond noise: investigate the export.**'),
    );
  }
}
