// Runs an ONNX model with onnxruntime-node for the Python side (there is no Python onnxruntime here).
//   node training/tools/run_onnx.mjs <model.onnx> <dir>
// <dir>/feeds.json: { "<input>": { "dtype": "float32"|"int64", "dims": [..], "file": "x.bin", "batched": bool } ,
//                     "__batch": 1024 }
// Batched inputs are split along dim 0 into runs of __batch rows; the others are fed whole to every run.
// Writes <dir>/<output>.bin (little-endian, concatenated over runs) and <dir>/outputs.json with dims.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require(path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../node_modules/onnxruntime-node'));

const [modelPath, dir] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(path.join(dir, 'feeds.json'), 'utf8'));
const batch = spec.__batch ?? 1024;
delete spec.__batch;
const Arr = { float32: Float32Array, int64: BigInt64Array, int32: Int32Array };

const inputs = {};
let rows = null;
for (const [name, s] of Object.entries(spec)) {
  const buf = fs.readFileSync(path.join(dir, s.file));
  const data = new Arr[s.dtype](buf.buffer, buf.byteOffset, buf.byteLength / Arr[s.dtype].BYTES_PER_ELEMENT);
  inputs[name] = { ...s, data };
  if (s.batched) rows = s.dims[0];
}
const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
const outs = {};
const step = rows === null ? 1 : batch;
for (let start = 0; start < (rows ?? 1); start += step) {
  const feeds = {};
  for (const [name, s] of Object.entries(inputs)) {
    if (s.batched) {
      const n = Math.min(batch, rows - start);
      const per = s.dims.slice(1).reduce((a, b) => a * b, 1);
      feeds[name] = new ort.Tensor(s.dtype, s.data.subarray(start * per, (start + n) * per), [n, ...s.dims.slice(1)]);
    } else {
      feeds[name] = new ort.Tensor(s.dtype, s.data, s.dims);
    }
  }
  const res = await session.run(feeds);
  for (const [name, t] of Object.entries(res)) {
    (outs[name] ??= { dims: null, parts: [], dtype: t.type }).parts.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    const o = outs[name];
    o.dims = o.dims === null ? [...t.dims] : [o.dims[0] + t.dims[0], ...t.dims.slice(1)];
  }
}
const meta = {};
for (const [name, o] of Object.entries(outs)) {
  const file = name.replace(/[^A-Za-z0-9_.-]/g, '_') + '.bin';
  fs.writeFileSync(path.join(dir, file), Buffer.concat(o.parts));
  meta[name] = { dims: o.dims, dtype: o.dtype, file };
}
meta.__inputs = session.inputNames;
fs.writeFileSync(path.join(dir, 'outputs.json'), JSON.stringify(meta));
