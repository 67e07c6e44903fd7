"""Smoke: a few training steps on a slice of Beauty -> export -> onnxruntime-node gives PyTorch's numbers."""
import json
import os

import numpy as np
import onnx
import pytest
import torch

from training import data, lsim, onnx_runner
from training.evaluate import left_pad
from training.export import export_all, lora_input_names, zero_lora
from training.tokenizer import WordPieceTokenizer
from training.train import collate, load_checkpoint, make_examples, parse_args, train

USERS = 1500


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("smoke"))
    args = parse_args(["--dataset", "beauty", "--out", out, "--max-users", str(USERS), "--max-steps", "6",
                       "--batch-size", "64", "--eval-every", "1", "--text-dim", "32"])
    metrics = train(args)
    art = os.path.join(out, "artifacts")
    export_all(os.path.join(out, "model.pt"), art)
    model, ck = load_checkpoint(os.path.join(out, "model.pt"))
    ds = data.load("beauty", USERS)
    return {"out": out, "art": art, "model": model, "ds": ds, "metrics": metrics}


def _feeds(model, seqs, table, lora=None):
    feeds = {"item_vectors": table[seqs].numpy(), "event_types": (seqs > 0).long().numpy()}
    tensors = lora if lora is not None else zero_lora(model.encoder, model.cfg.lora_rank)
    for name, t in zip(lora_input_names(model.encoder), tensors):
        feeds[name] = t.numpy()
    return feeds


def test_training_steps_lower_the_loss_and_write_metrics(run):
    log = [json.loads(x) for x in open(os.path.join(run["out"], "train_log.jsonl"))]
    assert log[0]["event"] == "start" and log[-1]["event"] == "done"
    m = json.load(open(os.path.join(run["out"], "metrics.json")))
    for key in ("HR@10", "NDCG@10", "HR@20", "NDCG@20"):
        assert 0 <= m["test"]["exclude_history"][key] <= 1
    assert m["test"]["users"] == USERS


def test_one_more_step_lowers_the_loss_on_its_batch(run):
    model, ds = run["model"], run["ds"]
    model.train()
    torch.manual_seed(0)
    for mod in model.modules():  # deterministic comparison
        if isinstance(mod, torch.nn.Dropout):
            mod.p = 0.0
    inp, tgt = collate(make_examples(ds.train, model.cfg.max_len)[:64])
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    losses = []
    state = {k: v.clone() for k, v in model.state_dict().items()}
    for _ in range(3):
        loss, n = model(inp, tgt)
        losses.append(float(loss) / n)
        (loss / n).backward()
        opt.step()
        opt.zero_grad()
    model.load_state_dict(state)
    model.eval()
    assert losses[-1] < losses[0]


def test_contract_layout(run):
    art = run["art"]
    man = json.load(open(os.path.join(art, "manifest.json")))
    assert man["format"] == 1 and man["dim"] == 64 and man["maxLen"] == 50 and man["numItems"] == 12101
    for name, digest in man["sha256"].items():
        from training.export import sha256
        assert sha256(os.path.join(art, name)) == digest, name
    enc = onnx.load(os.path.join(art, "encoder.int8.onnx"))
    assert any(o.domain in ("", "ai.onnx") and o.version == 17 for o in enc.opset_import)
    names = [i.name for i in enc.graph.input]
    assert names[:2] == ["item_vectors", "event_types"] and [o.name for o in enc.graph.output] == ["user_vector"]
    assert len(names) == 2 + 2 * len(man["lora"]["targets"]) == 2 + 2 * 12
    assert "lora.block1.ffn.fc2.B" in names
    ops = {n.op_type for n in enc.graph.node}
    assert "DequantizeLinear" in ops
    assert not any(t.data_type == onnx.TensorProto.FLOAT and len(t.dims) == 2 and t.dims[0] == t.dims[1] == 64
                   for t in enc.graph.initializer), "a 64x64 fp32 weight was left unquantized"
    items = lsim.read(os.path.join(art, "items.lsim"))
    assert items.shape == (12101, 64)
    cat = json.load(open(os.path.join(art, "catalog.json")))
    assert len(cat["items"]) == 12101 and cat["items"][0]["id"] == "B004756YJA"
    assert sum(i["popularity"] for i in cat["items"]) == sum(len(s) for s in run["ds"].train)
    for f in ("config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model_quantized.onnx"):
        assert os.path.isfile(os.path.join(art, "text", f)), f


def test_item_matrix_round_trips(run):
    with torch.no_grad():
        table = run["model"].items()[1:].numpy()
    items = lsim.read(os.path.join(run["art"], "items.lsim"))
    step = np.abs(table).max(1, keepdims=True) / 127
    assert np.all(np.abs(items - table) <= step / 2 + 1e-6)


@pytest.mark.parametrize("variant,atol,min_overlap", [("fp32", 1e-4, 0.999), ("int8", None, 0.85)])
def test_onnx_user_vectors_match_pytorch(run, variant, atol, min_overlap):
    model, ds = run["model"], run["ds"]
    with torch.no_grad():
        table = model.items()
    hist = ds.tests["test"].histories[:200]
    seqs = left_pad(hist, model.cfg.max_len)
    with torch.no_grad():
        ref = model.user_vectors(table, seqs).numpy()
    got = onnx_runner.run(os.path.join(run["art"], f"encoder.{variant}.onnx"), _feeds(model, seqs, table),
                          batched=("item_vectors", "event_types"), batch=64)["user_vector"]
    assert got.shape == ref.shape
    if atol is not None:
        np.testing.assert_allclose(got, ref, atol=atol, rtol=1e-4)
    else:
        cos = (got * ref).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(ref, axis=1)
        assert cos.min() > 0.99
    # fp32: same top-10 as PyTorch on the same vectors; int8: scored against the shipped int8 item matrix, as the
    # browser does, top-10 still mostly PyTorch's (a 6-step model has many near-ties, so this is a loose bound)
    items = lsim.read(os.path.join(run["art"], "items.lsim")) if variant == "int8" else table[1:].numpy()
    s_ref = ref @ table[1:].numpy().T
    s_got = got @ items.T
    overlap = np.mean([len(set(np.argsort(-a)[:10]) & set(np.argsort(-b)[:10])) / 10 for a, b in zip(s_ref, s_got)])
    assert overlap >= min_overlap


def test_onnx_lora_inputs_follow_the_contract(run):
    """y = x·Wᵀ + b + (x·Aᵀ)·Bᵀ with A/B fed as inputs: non-zero adapters change the output exactly as in PyTorch."""
    model, ds = run["model"], run["ds"]
    g = torch.Generator().manual_seed(1)
    lora = [torch.randn(t.shape, generator=g) * 0.1 for t in zero_lora(model.encoder, model.cfg.lora_rank)]
    names = [n for n, _ in model.encoder.lora_targets()]
    lora_map = {n: (lora[2 * i], lora[2 * i + 1]) for i, n in enumerate(names)}
    with torch.no_grad():
        table = model.items()
        seqs = left_pad(ds.tests["test"].histories[:32], model.cfg.max_len)
        base = model.user_vectors(table, seqs).numpy()
        ref = model.encoder(table[seqs], (seqs > 0).long(), lora_map)[:, -1].numpy()
    got = onnx_runner.run(os.path.join(run["art"], "encoder.fp32.onnx"), _feeds(model, seqs, table, lora))["user_vector"]
    np.testing.assert_allclose(got, ref, atol=1e-4, rtol=1e-4)
    assert np.abs(ref - base).max() > 1e-2


@pytest.mark.parametrize("variant,atol", [("model.onnx", 1e-5), ("model_quantized.onnx", 2e-3)])
def test_text_tower_mean_pooling_gives_the_item_text_vectors(run, variant, atol):
    model, ds = run["model"], run["ds"]
    tok = WordPieceTokenizer()
    ids = [tok.encode(t) for t in ds.titles[:40]]
    width = max(map(len, ids))
    inp = np.zeros((len(ids), width), np.int64)
    for i, x in enumerate(ids):
        inp[i, :len(x)] = x
    mask = (inp > 0).astype(np.int64)
    h = onnx_runner.run(os.path.join(run["art"], "text", "onnx", variant),
                        {"input_ids": inp, "attention_mask": mask})["last_hidden_state"]
    pooled = (h * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)  # the worker's mean pooling
    with torch.no_grad():
        ref = model.items.text_vectors()[1:41].numpy()
    np.testing.assert_allclose(pooled, ref, atol=atol)


def test_browser_text_encoder_reads_the_text_tower(run, tmp_path):
    """What the browser does: the worker's WordPiece tokenizer + text encoder (pooling 'mean') on text/."""
    import subprocess

    ds, model = run["ds"], run["model"]
    titles = ds.titles  # every Beauty title for the tokenizer; the first 64 through the int8 tower
    (tmp_path / "titles.json").write_text(json.dumps(titles))
    repo = os.path.join(os.path.dirname(__file__), "..", "..")
    tool = os.path.join("training", "tools", "browser_text.ts")
    proc = subprocess.run(["npx", "--no-install", "tsx", tool, run["art"], str(tmp_path / "titles.json"),
                           str(tmp_path / "out.json")], capture_output=True, text=True, cwd=repo)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads((tmp_path / "out.json").read_text())
    tok = WordPieceTokenizer()
    mismatches = [t for t, ids in zip(titles, got["ids"]) if tok.encode(t) != ids]
    assert not mismatches, mismatches[:3]
    with torch.no_grad():
        ref = model.items.text_vectors()[1:65].numpy()
    np.testing.assert_allclose(np.array(got["vectors"], np.float32), ref, atol=2e-3)


def test_base_encoder_is_the_int8_graph_without_lora(run):
    """encoder.base.int8.onnx (what the engine runs while no adapter with LoRA is active): the two inputs only, fewer
    nodes, and on onnxruntime the same user vectors as encoder.int8.onnx fed zero LoRA, bit for bit."""
    model, ds = run["model"], run["ds"]
    art = run["art"]
    man = json.load(open(os.path.join(art, "manifest.json")))
    assert man["files"]["encoderBase"] == "encoder.base.int8.onnx" and "encoder.base.int8.onnx" in man["sha256"]
    base = onnx.load(os.path.join(art, "encoder.base.int8.onnx"))
    full = onnx.load(os.path.join(art, "encoder.int8.onnx"))
    assert [i.name for i in base.graph.input] == ["item_vectors", "event_types"]
    assert len(base.graph.node) < len(full.graph.node)
    with torch.no_grad():
        table = model.items()
    seqs = left_pad(ds.tests["test"].histories[:64], model.cfg.max_len)
    feeds = _feeds(model, seqs, table)
    a = onnx_runner.run(os.path.join(art, "encoder.int8.onnx"), feeds, batched=("item_vectors", "event_types"), batch=64)["user_vector"]
    b = onnx_runner.run(os.path.join(art, "encoder.base.int8.onnx"), {k: feeds[k] for k in ("item_vectors", "event_types")},
                        batched=("item_vectors", "event_types"), batch=64)["user_vector"]
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)


def test_base_encoder_describes_itself_for_the_engine(run):
    """encoder.base.int8.onnx carries the ``localshelf.encoder`` description the engine's own encoder runs from
    (docs/artifacts.md): the model's numbers, and every weight it names is an initializer of the stated shape; the
    full graph (what onnxruntime runs with LoRA inputs) carries none."""
    from training.strip_lora import SPEC_KEY, SPEC_FORMAT, describe
    model, art = run["model"], run["art"]
    base = onnx.load(os.path.join(art, "encoder.base.int8.onnx"))
    meta = {p.key: p.value for p in base.metadata_props}
    spec = json.loads(meta[SPEC_KEY])
    cfg = model.cfg
    assert spec["format"] == SPEC_FORMAT
    assert (spec["dim"], spec["maxLen"], spec["heads"], spec["ffnDim"], len(spec["blocks"])) == (
        cfg.dim, cfg.max_len, cfg.heads, cfg.ffn_dim, cfg.blocks)
    assert abs(spec["inputScale"] - cfg.dim ** 0.5) < 1e-6 and abs(spec["attentionScale"] - (cfg.dim // cfg.heads) ** -0.5) < 1e-6
    inits = {t.name: list(t.dims) for t in base.graph.initializer}
    for b in spec["blocks"]:
        for role in ("q", "k", "v", "out", "fc1", "fc2"):
            w = b[role]
            assert inits[w["q"]] == [w["in"], w["out"]] and inits[w["scale"]] == [w["out"]] and inits[w["bias"]] == [w["out"]]
    full = onnx.load(os.path.join(art, "encoder.int8.onnx"))
    assert SPEC_KEY not in {p.key for p in full.metadata_props}
    # a graph of another shape gets no description (the engine then runs it in onnxruntime)
    broken = onnx.load(os.path.join(art, "encoder.base.int8.onnx"))
    keep = [t for t in broken.graph.initializer if t.name != "enc.blocks.1.fc2.bias"]
    del broken.graph.initializer[:]
    broken.graph.initializer.extend(keep)
    try:
        describe(broken)
        raise AssertionError("a graph without fc2's bias must not be described")
    except ValueError:
        pass


def test_the_deep_encoder_fixture_is_what_the_export_writes(tmp_path):
    """test/unit/engine/fixtures/deep-encoder (4 blocks, 2 heads), which holds the engine's own encoder to
    onnxruntime on a deeper graph than the shipped one, must be what make_deep_encoder.py writes with today's
    export, quantizer and LoRA stripping, byte for byte."""
    import importlib.util
    root = os.path.join(os.path.dirname(__file__), "..", "..", "test", "unit", "engine", "fixtures")
    spec = importlib.util.spec_from_file_location("make_deep_encoder", os.path.join(root, "make_deep_encoder.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.main(str(tmp_path))
    committed = os.path.join(root, "deep-encoder")
    assert sorted(os.listdir(tmp_path)) == sorted(os.listdir(committed))
    for name in os.listdir(committed):
        with open(os.path.join(committed, name), "rb") as a, open(os.path.join(tmp_path, name), "rb") as b:
            assert a.read() == b.read(), f"{name} differs: run /usr/bin/python3 test/unit/engine/fixtures/make_deep_encoder.py"
    meta = {p.key: p.value for p in onnx.load(os.path.join(committed, "encoder.base.int8.onnx")).metadata_props}
    described = json.loads(meta["localshelf.encoder"])
    assert (len(described["blocks"]), described["heads"]) == (4, 2)
    assert described["format"] == "localshelf-sasrec/2"
    assert [b["rel"] for b in described["blocks"]] == [f"enc.blocks.{i}.rel" for i in range(4)]
    # the masks and the distance index come from a Range over the input length, not [maxLen, maxLen] constants
    graph = onnx.load(os.path.join(committed, "encoder.int8.onnx")).graph
    tensors = list(graph.initializer) + [a.t for n in graph.node if n.op_type == "Constant" for a in n.attribute]
    square = [list(t.dims) for t in tensors if len(t.dims) == 2 and t.dims[0] == t.dims[1] == described["maxLen"]]
    assert not square and "Range" in {n.op_type for n in graph.node}


def test_a_distance_bias_is_described_per_block_or_not_at_all(tmp_path):
    """An encoder with ``rel_pos`` exports each block's attention bias by distance as its own initializer, which the
    description names (format 2). Where the export shares one table between blocks (equal values, e.g. untrained
    zeros, are stored once), no block-by-block description fits and the graph gets none (onnxruntime runs it)."""
    import types
    from training.export import export_encoder, quantize_file
    from training.model import Encoder, ModelConfig
    from training.strip_lora import SPEC_FORMAT_REL, describe
    torch.manual_seed(0)
    cfg = ModelConfig(num_items=20, dim=16, max_len=8, blocks=2, heads=1, ffn_dim=16, dropout=0.0, lora_rank=2,
                      rel_pos=True)
    for distinct in (True, False):
        enc = Encoder(cfg).eval()
        with torch.no_grad():  # distinct values everywhere else (equal tables, such as fresh LayerNorms, are shared)
            for p in enc.parameters():
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            for i, blk in enumerate(enc.blocks):
                blk.rel.copy_(torch.linspace(-1, 1, cfg.max_len) * (i + 1 if distinct else 1))
        fp32, q = str(tmp_path / f"{distinct}.fp32.onnx"), str(tmp_path / f"{distinct}.int8.onnx")
        export_encoder(types.SimpleNamespace(encoder=enc, cfg=cfg), fp32)
        quantize_file(fp32, q)
        graph = onnx.load(q)
        if distinct:
            spec = describe(graph)
            assert spec["format"] == SPEC_FORMAT_REL
            inits = {t.name: onnx.numpy_helper.to_array(t) for t in graph.graph.initializer}
            for i, b in enumerate(spec["blocks"]):
                np.testing.assert_allclose(inits[b["rel"]], np.linspace(-1, 1, cfg.max_len) * (i + 1), rtol=1e-6)
        else:
            with pytest.raises(ValueError, match="some blocks only"):  # refused for the shared table, not else
                describe(graph)
