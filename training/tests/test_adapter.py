"""LoRA adapters: training touches only the adapter, the .lsad file follows docs/adapter-format.md (checked in Python
and by the runtime's own parseAdapter), and the exported ONNX encoder fed the adapter computes what PyTorch does."""
import json
import os
import struct
import subprocess

import numpy as np
import pytest
import torch

from training import data, onnx_runner
from training.adapter import (LoraAdapter, base_encoder_sha, collate_later, collate_weighted, encode_lsad, evaluate_with_adapter,
                              export_adapter, later_examples, load_adapter_tensors, parse_lsad, read_lsad,
                              train_adapter, user_vectors)
from training.evaluate import left_pad
from training.export import export_encoder, lora_input_names, lora_spec
from training.model import ModelConfig
from training.train import build_model

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
USERS = 300


@pytest.fixture(scope="module")
def base():
    torch.manual_seed(0)
    ds = data.load("beauty", USERS)
    model = build_model(ds, ModelConfig(num_items=ds.num_items, text_dim=16))
    model.eval()
    manifest = {"numItems": ds.num_items,
                "lora": {"rank": model.cfg.lora_rank, "targets": lora_spec(model.encoder, model.cfg.lora_rank)}}
    return {"ds": ds, "model": model, "manifest": manifest}


@pytest.fixture(scope="module")
def trained(base):
    model, ds = base["model"], base["ds"]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    adapter, info = train_adapter(model, ds.train, later=2, valid=None, max_steps=4, batch_size=64,
                                  time_budget_min=0, lr=1e-2)
    return {"adapter": adapter, "info": info, "before": before}


def _sha(_model=None):
    return "ab" * 32


def test_later_examples_target_only_the_last_items():
    ex = later_examples([[1, 2, 3, 4, 5], [7], [8, 9]], later=2, max_len=3)
    assert [(w.tolist(), k) for w, k in ex] == [([2, 3, 4, 5], 2), ([8, 9], 1)]
    inp, tgt = collate_later(ex)
    assert inp.tolist() == [[2, 3, 4], [0, 0, 8]]
    assert tgt.tolist() == [[0, 4, 5], [0, 0, 9]]
    inp2, tgt2, w = collate_weighted(ex, 0.25)  # rehearsal: earlier positions too, at a lower weight
    assert torch.equal(inp2, inp) and tgt2.tolist() == [[3, 4, 5], [0, 0, 9]]
    assert w.tolist() == [[0.25, 1.0, 1.0], [0.0, 0.0, 1.0]]


def test_training_changes_only_the_adapter(base, trained):
    model, adapter, before = base["model"], trained["adapter"], trained["before"]
    assert trained["info"]["steps"] == 4
    after = model.state_dict()
    assert before.keys() == after.keys()
    for k in before:
        assert torch.equal(before[k], after[k]), f"base tensor {k} changed"
    assert all(p.grad is None for p in model.parameters())
    # B starts at zero (a fresh adapter is the base); after training every B and the item bias moved
    assert all(float(b.abs().max()) > 0 for b in adapter.B)
    assert float(adapter.item_bias.abs().max()) > 0
    assert len(adapter.targets) == 12 and adapter.targets[0] == "block0.attn.q"


def test_fresh_adapter_is_the_base(base):
    model, ds = base["model"], base["ds"]
    fresh = LoraAdapter(model, item_bias=True)
    seqs = left_pad(ds.tests["test"].histories[:50], model.cfg.max_len)
    with torch.no_grad():
        table = model.items()
        assert torch.equal(user_vectors(model, table, seqs, fresh), user_vectors(model, table, seqs))
    a = evaluate_with_adapter(model, ds.tests["test"], fresh)
    b = evaluate_with_adapter(model, ds.tests["test"], None)
    assert a == b


def test_lsad_layout_follows_the_format(base, trained, tmp_path):
    adapter, manifest = trained["adapter"], base["manifest"]
    path = str(tmp_path / "a.lsad")
    n = export_adapter(adapter, path, _sha(None), version=3, meta={"run": "test"})
    blob = open(path, "rb").read()
    assert len(blob) == n
    assert blob[:4] == b"LSAD" and struct.unpack("<I", blob[4:8])[0] == 1
    hlen = struct.unpack("<I", blob[8:12])[0]
    raw = blob[12:12 + hlen]
    header = json.loads(raw)
    assert raw == json.dumps(header, separators=(",", ":"), sort_keys=True).encode()  # canonical JSON
    start = (12 + hlen + 63) // 64 * 64
    assert not any(blob[12 + hlen:start])
    assert header["adapterVersion"] == 3 and header["baseModel"] == "ab" * 32 and header["rank"] == 8
    assert header["meta"] == {"run": "test"}
    names = [t["name"] for t in header["tensors"]]
    assert names[:2] == ["lora.block0.attn.q.A", "lora.block0.attn.q.B"] and names[-1] == "item_bias"
    assert len(names) == 2 * 12 + 1
    for t in header["tensors"]:
        assert t["dtype"] == "float32" and t["offset"] % 64 == 0 and t["length"] == 4 * int(np.prod(t["shape"]))
    last = header["tensors"][-1]
    assert len(blob) == start + last["offset"] + last["length"]
    _, tensors = read_lsad(path, manifest)
    for name, arr in adapter.tensors():
        np.testing.assert_array_equal(tensors[name], arr)
    assert tensors["item_bias"].shape == (manifest["numItems"],)
    assert tensors["lora.block1.ffn.fc1.A"].shape == (8, 64) and tensors["lora.block1.ffn.fc1.B"].shape == (64, 8)


@pytest.mark.parametrize("mutate,reason", [
    (lambda b: b"XSAD" + b[4:], "bad-magic"),
    (lambda b: b + b"\0", "trailing-bytes"),
    (lambda b: b[:-1], "out-of-bounds"),
    (lambda b: b[:8] + struct.pack("<I", 2) + b[12:], "bad-header"),
])
def test_parser_rejects_malformed_files(trained, mutate, reason):
    blob = encode_lsad(1, "cd" * 32, 8, trained["adapter"].tensors())
    parse_lsad(blob)
    with pytest.raises(ValueError, match=f"^{reason}"):
        parse_lsad(mutate(blob))
    with pytest.raises(ValueError):
        encode_lsad(1, "CD" * 32, 8, trained["adapter"].tensors())  # base hash must be lowercase hex


@pytest.mark.skipif(not os.path.isdir(os.path.join(ROOT, "node_modules", "tsx")), reason="needs npm ci")
def test_runtime_parser_accepts_the_file(base, trained, tmp_path):
    """workers/adapters/format.ts parseAdapter (what the browser runs after verification) reads our file."""
    path = str(tmp_path / "a.lsad")
    export_adapter(trained["adapter"], path, _sha(None), version=2)
    man = str(tmp_path / "manifest.json")
    json.dump(base["manifest"], open(man, "w"))
    script = tmp_path / "parse.ts"
    script.write_text(
        "import { readFileSync } from 'node:fs';\n"
        f"import {{ parseAdapter }} from '{ROOT}/workers/adapters/format.ts';\n"
        "const m = JSON.parse(readFileSync(process.argv[3], 'utf8'));\n"
        "const p = parseAdapter(new Uint8Array(readFileSync(process.argv[2])), { lora: m.lora, numItems: m.numItems });\n"
        "const out: Record<string, number> = {};\n"
        "for (const [k, t] of p.tensors) out[k] = t.data.reduce((a, b) => a + b, 0);\n"
        "console.log(JSON.stringify({ version: p.header.adapterVersion, base: p.header.baseModel, sums: out }));\n")
    res = subprocess.run([os.path.join(ROOT, "node_modules", ".bin", "tsx"), str(script), path, man],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["version"] == 2 and got["base"] == "ab" * 32
    ref = dict(trained["adapter"].tensors())
    assert set(got["sums"]) == set(ref)
    for k, s in got["sums"].items():
        assert s == pytest.approx(float(ref[k].astype(np.float64).sum()), rel=1e-4, abs=1e-4)


def test_onnx_encoder_with_the_adapter(base, trained, tmp_path):
    """Zero adapter (a fresh one: B = 0) through the exported graph = the base; the trained adapter's file, parsed
    back and fed as the LoRA inputs, reproduces PyTorch's adapted user vectors."""
    model, ds = base["model"], base["ds"]
    onnx_path = str(tmp_path / "encoder.fp32.onnx")
    export_encoder(model, onnx_path)
    assert not model.encoder.training  # the export leaves the model as it found it (eval): dropout stays off
    seqs = left_pad(ds.tests["test"].histories[:64], model.cfg.max_len)
    with torch.no_grad():
        table = model.items()
        ref_base = user_vectors(model, table, seqs).numpy()
    names = lora_input_names(model.encoder)

    def run(tensors):
        feeds = {"item_vectors": table[seqs].numpy(), "event_types": (seqs > 0).long().numpy()}
        for n in names:
            feeds[n] = tensors[n]
        return onnx_runner.run(onnx_path, feeds)["user_vector"]

    fresh = str(tmp_path / "zero.lsad")
    export_adapter(LoraAdapter(model, seed=5), fresh, _sha(None))
    _, zero_t = read_lsad(fresh, base["manifest"])
    assert all(not v.any() for k, v in zero_t.items() if k.endswith(".B"))
    zeros = {n: np.zeros_like(zero_t[n]) for n in names}
    out_zero_feeds = run(zeros)
    out_zero_adapter = run(zero_t)
    np.testing.assert_array_equal(out_zero_adapter, out_zero_feeds)
    np.testing.assert_allclose(out_zero_feeds, ref_base, atol=1e-4, rtol=1e-4)

    path = str(tmp_path / "trained.lsad")
    export_adapter(trained["adapter"], path, _sha(None))
    _, t = read_lsad(path, base["manifest"])
    loaded = load_adapter_tensors(model, t)
    with torch.no_grad():
        ref = user_vectors(model, table, seqs, loaded).numpy()
    assert np.abs(ref - ref_base).max() > 1e-3  # the adapter does change the encoder
    np.testing.assert_allclose(run(t), ref, atol=1e-4, rtol=1e-4)


def test_base_hash_is_deterministic(base, tmp_path):
    """The adapter's binding rests on the export being deterministic: two exports of one model hash the same."""
    from training.export import sha256
    first = base_encoder_sha(base["model"])
    d = str(tmp_path / "enc")
    second = base_encoder_sha(base["model"], keep_dir=d)
    assert len(first) == 64 and first == second == sha256(os.path.join(d, "encoder.int8.onnx"))


def test_a_base_exported_with_constant_masks_is_still_recognised(base, tmp_path):
    """Folders exported before 2026-12-08 store the attention masks as [maxLen, maxLen] constants: another file (and
    hash) for the same weights and user vectors. The adapter and update commands bind to whichever form the folder
    has, and refuse a hash that neither form gives."""
    import onnx
    from training.adapter import matching_base_sha
    model = base["model"]
    model.encoder.constant_masks = True
    d = str(tmp_path / "old")
    try:
        old = base_encoder_sha(model, keep_dir=d)
    finally:
        model.encoder.constant_masks = False
    d_new = str(tmp_path / "new")
    new = base_encoder_sha(model, keep_dir=d_new)
    assert old != new
    L = model.cfg.max_len
    graph = onnx.load(os.path.join(d, "encoder.int8.onnx")).graph
    assert any(list(a.t.dims) == [L, L] for n in graph.node if n.op_type == "Constant" for a in n.attribute)
    # the same user vectors, bit for bit, from both files (onnxruntime-node; histories of every length, left-padded)
    from training import onnx_runner
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((16, L, model.cfg.dim)) * 0.1).astype(np.float32)
    et = np.ones((16, L), np.int64)
    for b in range(16):
        et[b, :b * (L - 1) // 15] = 0
    from training.export import lora_input_names, zero_lora
    feeds = {"item_vectors": x, "event_types": et, **{n: t.numpy() for n, t in zip(
        lora_input_names(model.encoder), zero_lora(model.encoder, model.cfg.lora_rank))}}
    outs = [onnx_runner.run(os.path.join(k, "encoder.int8.onnx"), feeds)["user_vector"] for k in (d, d_new)]
    np.testing.assert_array_equal(outs[0], outs[1])
    assert matching_base_sha(model, old) == (old, True)
    assert matching_base_sha(model, new) == (new, True)
    assert matching_base_sha(model, "0" * 64) == (new, False)
    assert model.encoder.constant_masks is False


def test_freshness_split_and_eval_section(base, tmp_path):
    from training.freshness import BEGIN, END, stale_dataset, write_eval_section
    ds = base["ds"]
    st = stale_dataset(ds, 2)
    assert all(a == b[:-2] for a, b in zip(st.train, ds.train))
    assert st.valid is ds.valid and st.tests is ds.tests  # same validation and test items for every arm
    p = tmp_path / "EVAL.md"
    p.write_text("# Eval\n\nother tool's part\n")
    write_eval_section(str(p), f"{BEGIN}\none\n{END}\n")
    write_eval_section(str(p), f"{BEGIN}\ntwo\n{END}\n")
    text = p.read_text()
    assert text.startswith("# Eval\n\nother tool's part\n") and text.count(BEGIN) == 1 and "two" in text
    assert "one" not in text
    p.write_text(f"head\n{BEGIN}\nold\n{END}\ntail\n")
    write_eval_section(str(p), f"{BEGIN}\nnew\n{END}\n")
    assert p.read_text() == f"head\n{BEGIN}\nnew\n{END}\ntail\n"
