/**
 * Cold start: the model variant trained with 10 % of the items held out entirely (training/data.py
 * `hold_out_cold_items`), evaluated on the test users whose target is one of those items. Their vectors have no
 * ID part: (a) as exported in items.lsim (text-only, computed by PyTorch), and (b) re-encoded here from the titles
 * with the exported int8 text tower and tokenizer, exactly as the engine would add an unseen item at run time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ModelFolder } from './artifacts';
import type { TestSet } from './datasets';
import { describeFolder, torchRow, type ResultTable, type VariantResult } from './report';
import { agreementNotes } from './agreement';
import { openEncoder } from './run-model';
import { runVariant, type Ran, type RunSettings } from './run-variant';
import { replaceRows, rowCosines, textVectors } from './text-vectors';
import { WordPieceTokenizer } from '../workers/search/wordpiece';

/** Add the cold-start table and notes for `cold` (the variant's export folder); `warm` is the normal model's run. */
export async function coldStart(
  cold: ModelFolder,
  test: TestSet,
  s: RunSettings,
  tables: ResultTable[],
  notes: string[],
  warm?: Ran,
): Promise<string | undefined> {
  const rel = relative(s.root, cold.dir);
  for (const p of cold.problems) notes.push(`**Problem** in \`${rel}\`: ${p}`);
  if (!cold.manifest || !cold.matrix || !cold.encoders.int8) {
    notes.push(
      `**Missing**: cold-start variant in \`${rel}\` (manifest, encoder.int8.onnx, items.lsim). Train it with ` +
        `\`/usr/bin/python3 -m training.train --dataset ${test.dataset} --cold-fraction 0.1 --id-dropout 0.3 --out ` +
        `training/out/${test.dataset}-cold\`, then \`/usr/bin/python3 -m training.export --ckpt ` +
        `training/out/${test.dataset}-cold/model.pt --out training/out/${test.dataset}-cold/artifacts\`.`,
    );
    return 'Cold start: **not evaluated yet** (no cold-start export; see the notes).';
  }
  if (!cold.coldItems) {
    notes.push(`**Missing**: the held-out item list (\`cold_items.json\`, \`manifest.coldItems\` or model.pt) for \`${rel}\`.`);
    return 'Cold start: **not evaluated** (held-out item list missing).';
  }
  const isCold = new Uint8Array(test.numItems + 1);
  for (const id of cold.coldItems) isCold[id] = 1;
  const mask = Uint8Array.from(test.targets, (t) => isCold[t]!);
  const users = mask.reduce((a, b) => a + b, 0);
  s.log(`${test.dataset}: cold-start variant from ${rel} (${cold.coldItems.length} items, ${users} users)`);
  const exported = await runVariant(cold.encoders.int8, cold, test, s);
  const variants: VariantResult[] = [exported.result('**ONNX int8, cold items text-only (exported rows)**', mask)];

  const reencoded = await reencodeCold(cold, test, s, notes);
  if (reencoded) {
    // Only the cold-target users matter here: run just those.
    const keep = (_: unknown, u: number) => mask[u] === 1;
    const coldUsers: TestSet = { ...test, histories: test.histories.filter(keep), targets: test.targets.filter(keep), subsets: {} };
    const run = await runVariant(cold.encoders.int8, cold, coldUsers, s, reencoded.matrix, reencoded.label);
    variants.push(run.result('**ONNX int8, cold items re-encoded from titles in Node**'));
  }
  const torch = torchRow(cold, 'test', s.root, 'cold_target');
  if (torch) variants.push({ ...torch, label: 'PyTorch (cold-start training)' });
  agreementNotes(notes, exported, undefined, torch, mask, 'Cold start');
  if (warm) variants.push(warm.result('normal model (IDs trained), same users', mask));
  notes.push(`Cold-start model: ${describeFolder(cold, s.root)}.`);
  tables.push({
    title: `cold start (${cold.coldItems.length} items never seen in training)`,
    note:
      `Test users whose target is one of the ${cold.coldItems.length} held-out items (${users} users), ranked against ` +
      'the full catalog. Held-out items have no ID embedding: their vectors come from the title alone. The last row ' +
      'is the normal model on the same users (it trained on those items): the price of cold start.',
    variants,
  });
  const warmUsers = exported.result('', mask.map((m) => 1 - m)).excluded;
  notes.push(
    `Cold-start variant on the other ${warmUsers.users} (warm-target) users: NDCG@10 ${warmUsers.ndcg[10]!.toFixed(4)}, ` +
      `HR@10 ${warmUsers.hr[10]!.toFixed(4)}.`,
  );
  const c = variants[variants.length > 1 && reencoded ? 1 : 0]!.excluded;
  const w = warm?.result('', mask).excluded;
  return (
    `Cold start (${cold.coldItems.length} items held out of training, ${users} users): NDCG@10 **${c.ndcg[10]!.toFixed(4)}**, ` +
    `HR@10 ${c.hr[10]!.toFixed(4)} from text-only vectors${reencoded ? ' computed in Node by the exported text tower' : ''}` +
    (w ? ` (the normal model, which trained on those items: ${w.ndcg[10]!.toFixed(4)} / ${w.hr[10]!.toFixed(4)})` : '') +
    '.'
  );
}

/** Replace the cold rows with vectors computed from the titles by the exported int8 text tower. */
async function reencodeCold(
  cold: ModelFolder,
  test: TestSet,
  s: RunSettings,
  notes: string[],
): Promise<{ matrix: NonNullable<ModelFolder['matrix']>; label: string } | undefined> {
  const towerPath = join(cold.dir, 'text', 'onnx', 'model_quantized.onnx');
  const tokPath = join(cold.dir, 'text', 'tokenizer.json');
  if (!existsSync(towerPath) || !existsSync(tokPath) || !cold.catalogTitles || !cold.catalogIds) {
    notes.push(`Text tower or catalog titles missing in \`${relative(s.root, cold.dir)}\`: cold items not re-encoded in Node.`);
    return undefined;
  }
  const rowOf = new Map(cold.catalogIds.map((id, row) => [id, row]));
  const rows = cold.coldItems!.map((id) => rowOf.get(test.externalIds[id - 1]!) ?? -1);
  if (rows.some((r) => r < 0)) {
    notes.push('Some cold items are not in the cold variant\'s catalog.json: cold items not re-encoded in Node.');
    return undefined;
  }
  const session = await openEncoder(towerPath, s.threads);
  const vectors = await textVectors(session, WordPieceTokenizer.parse(readFileSync(tokPath)), rows.map((r) => cold.catalogTitles![r]!), cold.matrix!.dim);
  await session.release();
  const cos = rowCosines(vectors, cold.matrix!, rows);
  const sorted = Array.from(cos).sort((a, b) => a - b);
  notes.push(
    `Cold rows re-encoded in Node (WordPiece + \`text/onnx/model_quantized.onnx\`, masked mean) vs the exported ` +
      `rows: cosine median ${sorted[sorted.length >> 1]!.toFixed(4)}, minimum ${sorted[0]!.toFixed(4)} ` +
      `(1.0000 = the browser's text path reproduces training's text-only vectors).`,
  );
  return {
    matrix: replaceRows(cold.matrix!, rows, vectors),
    label: `\`${relative(s.root, join(cold.dir, 'items.lsim'))}\` with cold rows from \`text/onnx/model_quantized.onnx\``,
  };
}
