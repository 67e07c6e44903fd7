"""LoRA adapters for a frozen base model, and the `.lsad` file format (docs/adapter-format.md).

    /usr/bin/python3 -m training.adapter --base training/out/beauty-r1 --out training/out/beauty-r1/adapter.lsad \
        --later 1 --version 1 [--manifest public/models/beauty/manifest.json] [--rank 8] [--no-item-bias]
        [--context-weight 1.0]

Every attention q/k/v/out and both FFN projections of every block get ``y = x·Wᵀ + b + (x·Aᵀ)·Bᵀ`` with
``A: [r, in]`` (random, std 1/sqrt(in)) and ``B: [out, r]`` (zeros, so a fresh adapter is the base model), plus an
optional per-item score bias (zeros at start) added to ``user · item``. Everything of the base stays frozen: the item
tower (ID embeddings, text tower) and the encoder weights. Only A, B and the bias train, on the *later* part of each
sequence (the last ``--later`` items of each training sequence, each predicted from everything before it), with
full-softmax cross-entropy as in training/train.py; the earlier positions of the same windows can be rehearsed at
``--context-weight``. Model selection on the validation split, a CPU-time budget like
train.py's.

The file is bound to the base model's ``sha256(encoder.int8.onnx)``. The CLI re-exports the checkpoint's int8
encoder (deterministic) and checks the hash against ``--manifest`` (or ``<base>/artifacts/manifest.json``), so an
adapter is never bound to a model it was not trained on.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import struct
import tempfile
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import data as data_mod
from .evaluate import evaluate
from .model import Recommender
from .train import collate, make_batches

MAGIC = b"LSAD"
FORMAT_VERSIONS = (1, 2)
ALIGN = 64
MAX_HEADER = 1 << 20


# ------------------------------------------------------------------------------------------------- adapter ---
class LoraAdapter(nn.Module):
    """The trainable part: A/B per adapted projection (all of ``encoder.lora_targets()`` by default) + item bias."""

    def __init__(self, model: Recommender, rank: Optional[int] = None, targets: Optional[Sequence[str]] = None,
                 item_bias: bool = True, seed: int = 0, item_rows: bool = False, num_items: Optional[int] = None):
        super().__init__()
        self.rank = int(rank or model.cfg.lora_rank)
        self.num_items = num_items or model.cfg.num_items  # more than the model's: an update with new products
        all_targets = model.encoder.lora_targets()
        known = [n for n, _ in all_targets]
        if targets is not None:
            unknown = sorted(set(targets) - set(known))
            if unknown:
                raise ValueError(f"unknown LoRA targets {unknown}; the model has {known}")
        self.targets = [n for n in known if targets is None or n in targets]  # manifest order
        mods = dict(all_targets)
        g = torch.Generator().manual_seed(seed)
        self.A = nn.ParameterList()
        self.B = nn.ParameterList()
        for n in self.targets:
            m = mods[n]
            self.A.append(nn.Parameter(torch.randn(self.rank, m.in_features, generator=g) / math.sqrt(m.in_features)))
            self.B.append(nn.Parameter(torch.zeros(m.out_features, self.rank)))
        self.item_bias = nn.Parameter(torch.zeros(self.num_items)) if item_bias else None
        # item-table update (training/update.py): a trainable delta per item row, zeros at start (= the base)
        self.item_delta = nn.Parameter(torch.zeros(self.num_items, model.cfg.dim)) if item_rows else None

    def restrict_rows(self, rows: Sequence[int]) -> None:
        """Only these 0-based item rows may change (what will ship): the others' deltas stay zero in training."""
        mask = torch.zeros(self.num_items, 1)
        mask[torch.as_tensor(list(rows), dtype=torch.long)] = 1.0
        self.register_buffer("row_mask", mask, persistent=False)

    def table(self, base: torch.Tensor) -> torch.Tensor:
        """The item table this adapter runs on: ``base`` [N+1, D], plus the row deltas when it has them."""
        if self.item_delta is None:
            return base
        delta = self.item_delta if getattr(self, "row_mask", None) is None else self.item_delta * self.row_mask
        return base + torch.cat([delta.new_zeros(1, base.shape[1]), delta])

    def lora(self) -> Dict[str, Tuple[torch.Tensor, torch.Tensor]]:
        return {n: (a, b) for n, a, b in zip(self.targets, self.A, self.B)}

    def bias_row(self) -> Optional[torch.Tensor]:
        """[N+1] with a zero for the padding row (score columns of ``table[1:]`` + this[1:])."""
        if self.item_bias is None:
            return None
        return torch.cat([self.item_bias.new_zeros(1), self.item_bias])

    def tensors(self) -> List[Tuple[str, np.ndarray]]:
        """``(name, float32 array)`` in file order: ``lora.<target>.A``, ``lora.<target>.B`` …, ``item_bias``."""
        out: List[Tuple[str, np.ndarray]] = []
        for n, a, b in zip(self.targets, self.A, self.B):
            out.append((f"lora.{n}.A", a.detach().cpu().numpy().astype(np.float32)))
            out.append((f"lora.{n}.B", b.detach().cpu().numpy().astype(np.float32)))
        if self.item_bias is not None:
            out.append(("item_bias", self.item_bias.detach().cpu().numpy().astype(np.float32)))
        return out


def freeze(model: Recommender) -> None:
    for p in model.parameters():
        p.requires_grad_(False)


@torch.no_grad()
def frozen_table(model: Recommender) -> torch.Tensor:
    """The base's item vectors [N+1, D] (the item tower has no dropout; frozen, so computed once)."""
    model.eval()
    return model.items().detach()


def user_vectors(model: Recommender, table: torch.Tensor, seqs: torch.Tensor,
                 adapter: Optional[LoraAdapter] = None) -> torch.Tensor:
    lora = adapter.lora() if adapter is not None else None
    if adapter is not None:
        table = adapter.table(table)
    return model.encoder(table[seqs], (seqs > 0).long(), lora)[:, -1]


@torch.no_grad()
def evaluate_with_adapter(model: Recommender, split: data_mod.EvalSet, adapter: Optional[LoraAdapter] = None,
                          table: Optional[torch.Tensor] = None) -> dict:
    """training/evaluate.py's full ranking, scores = user · item (+ item_bias): the bias rides as one extra
    column (item side: the bias, user side: 1), so the ranking code is exactly the pipeline's."""
    model.eval()
    if adapter is not None:
        adapter.eval()
    table = frozen_table(model) if table is None else table
    bias = adapter.bias_row() if adapter is not None else None
    scored = adapter.table(table) if adapter is not None else table
    if bias is None:
        return evaluate(lambda s: user_vectors(model, table, s, adapter), scored, split.histories, split.targets,
                        model.cfg.max_len)
    items = torch.cat([scored, bias.unsqueeze(1)], 1)
    ones = torch.ones(1)
    return evaluate(lambda s: torch.cat([user_vectors(model, table, s, adapter), ones.expand(len(s), 1)], 1),
                    items, split.histories, split.targets, model.cfg.max_len)


# ------------------------------------------------------------------------------------------------ training ---
def later_examples(seqs: Sequence[Sequence[int]], later: int, max_len: int) -> List[Tuple[np.ndarray, int]]:
    """One window per sequence: its last ``max_len + 1`` items, the last ``later`` of which are targets (each predicted
    from everything before it inside the window). Sequences with fewer than 2 items are skipped."""
    out = []
    for s in seqs:
        s = np.asarray(s, dtype=np.int64)
        if len(s) < 2 or later < 1:
            continue
        w = s[-(max_len + 1):]
        out.append((w, min(later, len(w) - 1)))
    return out


def collate_later(examples: Sequence[Tuple[np.ndarray, int]]) -> Tuple[torch.Tensor, torch.Tensor]:
    """train.collate, then only the last k targets of each row are kept (left-padded: they are the last k columns)."""
    inp, tgt = collate([w for w, _ in examples])
    length = tgt.shape[1]
    for i, (_, k) in enumerate(examples):
        tgt[i, :length - k] = 0
    return inp, tgt


def collate_weighted(examples: Sequence[Tuple[np.ndarray, int]], context_weight: float
                     ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every position of the window is a target; the later ones weigh 1, the earlier (context) ones
    ``context_weight`` (rehearsal of data the base already saw)."""
    inp, tgt = collate([w for w, _ in examples])
    length = tgt.shape[1]
    weight = (tgt > 0).float() * context_weight
    for i, (_, k) in enumerate(examples):
        weight[i, length - k:] = 1.0
    return inp, tgt, weight


def adapter_loss(model: Recommender, table: torch.Tensor, adapter: LoraAdapter, inp: torch.Tensor,
                 tgt: torch.Tensor, weight: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, float]:
    """Summed (weighted) full-softmax cross-entropy over the targets, and the total weight."""
    table = adapter.table(table)
    h = model.encoder(table[inp], (inp > 0).long(), adapter.lora())
    sel = tgt > 0
    logits = h[sel] @ table[1:].t()
    if adapter.item_bias is not None:
        logits = logits + adapter.item_bias
    if weight is None:
        return F.cross_entropy(logits, tgt[sel] - 1, reduction="sum"), int(sel.sum())
    w = weight[sel]
    return (F.cross_entropy(logits, tgt[sel] - 1, reduction="none") * w).sum(), float(w.sum())


def train_adapter(model: Recommender, train_seqs: Sequence[Sequence[int]], later: int,
                  valid: Optional[data_mod.EvalSet] = None, rank: Optional[int] = None, item_bias: bool = True,
                  lr: float = 2e-3, batch_size: int = 128, epochs: int = 50, max_steps: int = 0,
                  time_budget_min: float = 3.0, threads: int = 1, eval_every: int = 1, patience: int = 3,
                  bias_l2: float = 0.0, dropout: Optional[bool] = True, seed: int = 0, context_weight: float = 0.0,
                  log: Optional[Callable[[dict], None]] = None, item_rows: bool = False,
                  trainable_rows: Optional[Sequence[int]] = None) -> Tuple[LoraAdapter, dict]:
    """Fits a LoRA adapter (+ item bias) on the later items with the base frozen; returns the best adapter by
    validation NDCG@10 (history excluded), or the last one without ``valid``. ``dropout``: keep the base's dropout
    active while training (the base trained with it). ``context_weight`` > 0 also trains on the earlier positions of
    each window (data the base saw) with that weight: rehearsal against drifting away from the base's optimum.

    The budget is train.py's ``cpu`` clock: this process's CPU seconds / ``threads``, checked after every step."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    freeze(model)
    table = frozen_table(model)
    adapter = LoraAdapter(model, rank=rank, item_bias=item_bias, seed=seed, item_rows=item_rows)
    if trainable_rows is not None:
        adapter.restrict_rows(trainable_rows)
    opt = torch.optim.Adam(adapter.parameters(), lr=lr, betas=(0.9, 0.98))
    examples = later_examples(train_seqs, later, model.cfg.max_len)
    lengths = np.array([len(w) for w, _ in examples])
    say = log or (lambda rec: None)
    say({"event": "adapter-start", "examples": len(examples), "targets": int(sum(k for _, k in examples)),
         "rank": adapter.rank, "lora_targets": len(adapter.targets), "item_bias": item_bias, "lr": lr,
         "context_weight": context_weight, "item_rows": item_rows})
    t0, c0 = time.time(), time.process_time()
    best: Tuple[float, Optional[dict], int] = (-1.0, None, 0)
    bad, step, epoch, stop = 0, 0, 0, False
    history = []

    def used() -> float:
        return (time.process_time() - c0) / threads

    for epoch in range(1, epochs + 1):
        model.train() if dropout else model.eval()
        adapter.train()
        tot, cnt = 0.0, 0
        for b in make_batches(lengths, batch_size, rng):
            if context_weight > 0:
                inp, tgt, w = collate_weighted([examples[i] for i in b], context_weight)
                loss, n = adapter_loss(model, table, adapter, inp, tgt, w)
            else:
                inp, tgt = collate_later([examples[i] for i in b])
                loss, n = adapter_loss(model, table, adapter, inp, tgt)
            obj = loss / max(n, 1)
            if bias_l2 and adapter.item_bias is not None:
                obj = obj + bias_l2 * adapter.item_bias.pow(2).sum()
            obj.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            tot += float(loss)
            cnt += n
            step += 1
            if (max_steps and step >= max_steps) or (time_budget_min and used() > time_budget_min * 60):
                stop = True
                break
        rec = {"event": "adapter-epoch", "epoch": epoch, "step": step, "loss": tot / max(cnt, 1),
               "elapsed_s": round(time.time() - t0, 1), "cpu_s": round(time.process_time() - c0, 1)}
        if valid is not None and (epoch % eval_every == 0 or stop or epoch == epochs):
            v = evaluate_with_adapter(model, valid, adapter, table)
            rec["valid"] = v
            score = v["exclude_history"]["NDCG@10"]
            if score > best[0]:
                best, bad = (score, copy.deepcopy(adapter.state_dict()), epoch), 0
            else:
                bad += 1
                stop = stop or bad >= patience
        history.append(rec)
        say(rec)
        if stop or (time_budget_min and used() > time_budget_min * 60):
            break
    if best[1] is not None:
        adapter.load_state_dict(best[1])
    adapter.eval()
    model.eval()
    info = {"epochs": epoch, "best_epoch": best[2], "steps": step, "train_examples": len(examples),
            "context_weight": context_weight,
            "train_targets": int(sum(k for _, k in examples)), "wall_s": round(time.time() - t0, 1),
            "cpu_s": round(time.process_time() - c0, 1), "threads": threads, "time_budget_min": time_budget_min,
            "best_valid_ndcg10": best[0] if best[1] is not None else None}
    say({"event": "adapter-done", **info})
    return adapter, info


# ------------------------------------------------------------------------------------------------ .lsad I/O ---
DTYPES = {"float32": np.dtype("<f4"), "int8": np.dtype("i1"), "int32": np.dtype("<i4")}
ITEM_TENSORS = ("items.rows", "items.q", "items.scale", "items.removed")


def _dtype_name(a: np.ndarray) -> str:
    for name, dt in DTYPES.items():
        if a.dtype == dt or (a.dtype.kind == dt.kind and a.dtype.itemsize == dt.itemsize):
            return name
    raise ValueError(f"dtype {a.dtype} is not one of {sorted(DTYPES)}")


def encode_lsad(version: int, base_sha: str, rank: int, tensors: Sequence[Tuple[str, np.ndarray]],
                meta: Optional[Dict[str, str]] = None, extra: Optional[dict] = None) -> bytes:
    """docs/adapter-format.md: preamble, canonical-JSON header, zero padding to 64, 64-aligned payloads. Format version
    1 when every tensor is float32 and there is no ``extra`` header field, else 2 (int8 / int32 tensors, the item-table
    fields ``baseItems`` and ``newItems``)."""
    if not (isinstance(version, int) and version > 0):
        raise ValueError("adapterVersion must be a positive integer")
    if len(base_sha) != 64 or any(c not in "0123456789abcdef" for c in base_sha):
        raise ValueError("baseModel must be lowercase sha256 hex")
    if not tensors:
        raise ValueError("an adapter needs at least one tensor")
    entries, off, arrays = [], 0, []
    for name, a in tensors:
        a = np.asarray(a)
        dtype = _dtype_name(a) if a.dtype.kind in "iu" else "float32"
        a = np.ascontiguousarray(a, dtype=DTYPES[dtype])
        if dtype == "float32" and not np.all(np.isfinite(a)):
            raise ValueError(f"tensor {name} has NaN or Inf")
        entries.append({"name": name, "dtype": dtype, "shape": [int(d) for d in a.shape], "offset": off,
                        "length": int(a.nbytes)})
        arrays.append(a)
        off = (off + a.nbytes + ALIGN - 1) // ALIGN * ALIGN
    header_obj = {"adapterVersion": version, "baseModel": base_sha, "rank": int(rank), "tensors": entries}
    if meta:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
            raise ValueError("meta values must be strings")
        header_obj["meta"] = dict(meta)
    for k, v in (extra or {}).items():
        if k in header_obj:
            raise ValueError(f"extra header field {k} clashes with a format field")
        header_obj[k] = v
    fmt = 1 if not extra and all(e["dtype"] == "float32" for e in entries) else 2
    # canonical JSON (sorted keys, no whitespace) like encodeAdapter
    header = json.dumps(header_obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")
    if len(header) > MAX_HEADER:
        raise ValueError("header over 1 MiB")
    start = (12 + len(header) + ALIGN - 1) // ALIGN * ALIGN
    buf = bytearray(start + entries[-1]["offset"] + entries[-1]["length"])
    buf[0:12] = MAGIC + struct.pack("<II", fmt, len(header))
    buf[12:12 + len(header)] = header
    for e, a in zip(entries, arrays):
        buf[start + e["offset"]:start + e["offset"] + e["length"]] = a.tobytes()
    return bytes(buf)


def write_lsad(path: str, version: int, base_sha: str, rank: int, tensors: Sequence[Tuple[str, np.ndarray]],
               meta: Optional[Dict[str, str]] = None, extra: Optional[dict] = None) -> int:
    blob = encode_lsad(version, base_sha, rank, tensors, meta, extra)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(blob)
    return len(blob)


def parse_lsad(blob: bytes, manifest: Optional[dict] = None) -> Tuple[dict, Dict[str, np.ndarray]]:
    """Strict reader (the checks of docs/adapter-format.md that do not need a running model, plus the manifest's
    when given). Raises ValueError with the parser's reason token first."""
    def bad(reason: str, msg: str = ""):
        raise ValueError(f"{reason}: {msg}".rstrip(": "))
    if len(blob) < 12:
        bad("truncated", "shorter than the preamble")
    if blob[:4] != MAGIC:
        bad("bad-magic")
    version, hlen = struct.unpack("<II", blob[4:12])
    if version not in FORMAT_VERSIONS:
        bad("unsupported-version", str(version))
    if hlen > MAX_HEADER:
        bad("bad-header", "header over 1 MiB")
    start = (12 + hlen + ALIGN - 1) // ALIGN * ALIGN
    if len(blob) < start:
        bad("truncated", "header or padding")
    try:
        header = json.loads(blob[12:12 + hlen].decode("utf-8", errors="strict"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        bad("bad-header", str(e))
    if any(blob[12 + hlen:start]):
        bad("bad-header", "non-zero padding")
    for key, typ in (("adapterVersion", int), ("baseModel", str), ("rank", int), ("tensors", list)):
        if not isinstance(header.get(key), typ):
            bad("bad-header", f"{key} missing or wrong type")
    if not header["tensors"]:
        bad("bad-header", "no tensors")
    spec = None
    if manifest is not None:
        r = manifest["lora"]["rank"]
        if header["rank"] != r:
            bad("shape-mismatch", f"rank {header['rank']} != {r}")
        spec = {"item_bias": [manifest["numItems"] + len(header.get("newItems") or [])]}
        for t in manifest["lora"]["targets"]:
            spec[f"lora.{t['name']}.A"] = [r, t["in"]]
            spec[f"lora.{t['name']}.B"] = [t["out"], r]
    out: Dict[str, np.ndarray] = {}
    spans = []
    for e in header["tensors"]:
        name = e.get("name")
        dtype = DTYPES.get(e.get("dtype")) if version == 2 else (DTYPES["float32"] if e.get("dtype") == "float32" else None)
        if not isinstance(name, str) or dtype is None or not isinstance(e.get("shape"), list):
            bad("bad-tensor", str(name))
        shape = e["shape"]
        if not all(isinstance(d, int) and d > 0 for d in shape) or e.get("length") != dtype.itemsize * int(np.prod(shape)):
            bad("bad-tensor", f"{name} shape/length")
        if spec is not None and name in ITEM_TENSORS:
            pass  # item-table tensors: shapes checked against each other below
        elif spec is not None:
            if name not in spec:
                bad("unknown-tensor", name)
            if list(shape) != spec[name]:
                bad("shape-mismatch", f"{name} {shape} != {spec[name]}")
        if name in out:
            bad("duplicate-tensor", name)
        off = e.get("offset")
        if not isinstance(off, int) or off < 0:
            bad("bad-tensor", f"{name} offset")
        if off % ALIGN:
            bad("misaligned", name)
        if start + off + e["length"] > len(blob):
            bad("out-of-bounds", name)
        spans.append((off, off + e["length"]))
        arr = np.frombuffer(blob, dtype=dtype, count=e["length"] // dtype.itemsize, offset=start + off).reshape(shape).copy()
        if dtype.kind == "f" and not np.all(np.isfinite(arr)):
            bad("non-finite", name)
        out[name] = arr
    spans.sort()
    for (a0, a1), (b0, _) in zip(spans, spans[1:]):
        if b0 < a1:
            bad("overlap")
    if start + max(end for _, end in spans) != len(blob):
        bad("trailing-bytes")
    for name in out:
        if name.endswith(".A") and name[:-2] + ".B" not in out or name.endswith(".B") and name[:-2] + ".A" not in out:
            bad("missing-pair", name)
    return header, out


def read_lsad(path: str, manifest: Optional[dict] = None) -> Tuple[dict, Dict[str, np.ndarray]]:
    with open(path, "rb") as f:
        return parse_lsad(f.read(), manifest)


def export_adapter(adapter: LoraAdapter, path: str, base_sha: str, version: int = 1,
                   meta: Optional[Dict[str, str]] = None) -> int:
    return write_lsad(path, version, base_sha, adapter.rank, adapter.tensors(), meta)


def load_adapter_tensors(model: Recommender, tensors: Dict[str, np.ndarray], rank: Optional[int] = None) -> LoraAdapter:
    """A LoraAdapter holding the LoRA pairs and ``item_bias`` of a parsed file (missing targets = zeros: what the
    engine feeds; other tensors, e.g. an update's item rows, are not its business: training/update.py)."""
    rank = rank or next((t.shape[0] for n, t in tensors.items() if n.endswith(".A")), model.cfg.lora_rank)
    ad = LoraAdapter(model, rank=rank, item_bias="item_bias" in tensors)
    with torch.no_grad():
        for i, n in enumerate(ad.targets):
            a, b = tensors.get(f"lora.{n}.A"), tensors.get(f"lora.{n}.B")
            ad.A[i].copy_(torch.from_numpy(a) if a is not None else torch.zeros_like(ad.A[i]))
            ad.B[i].copy_(torch.from_numpy(b) if b is not None else torch.zeros_like(ad.B[i]))
        if ad.item_bias is not None:
            ad.item_bias.copy_(torch.from_numpy(tensors["item_bias"]))
    return ad.eval()


# ------------------------------------------------------------------------------------------------ base hash ---
def base_encoder_sha(model: Recommender, keep_dir: Optional[str] = None) -> str:
    """sha256 of the int8 encoder training/export.py writes for this model (export is deterministic, so this equals
    ``manifest.sha256["encoder.int8.onnx"]`` of the model's export). ``keep_dir`` keeps both ONNX files there."""
    from .export import export_encoder, quantize_file, sha256

    d = keep_dir or tempfile.mkdtemp(prefix="lsad-base-")
    os.makedirs(d, exist_ok=True)
    try:
        fp32, int8 = os.path.join(d, "encoder.fp32.onnx"), os.path.join(d, "encoder.int8.onnx")
        export_encoder(model, fp32)
        quantize_file(fp32, int8)
        return sha256(int8)
    finally:
        if keep_dir is None:
            import shutil
            shutil.rmtree(d, ignore_errors=True)


def matching_base_sha(model: Recommender, want: str) -> Tuple[str, bool]:
    """(sha, matches): the checkpoint's int8 encoder hash that equals ``want`` (a model folder's
    ``manifest.sha256["encoder.int8.onnx"]``) if either graph form has it, else today's. A folder exported before
    2026-12-08 stores its masks as [maxLen, maxLen] constants (model.Encoder.constant_masks): same weights, same user
    vectors, another file, so its adapters bind to that file's hash."""
    sha = base_encoder_sha(model)
    if sha == want:
        return sha, True
    enc = model.encoder
    enc.constant_masks = True
    try:
        old = base_encoder_sha(model)
    finally:
        enc.constant_masks = False
    return (old, True) if old == want else (sha, False)


# ------------------------------------------------------------------------------------------------------ CLI ---
def main(argv=None) -> None:
    from .train import load_checkpoint

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, help="run folder with model.pt (training/train.py's --out)")
    p.add_argument("--out", required=True, help="the .lsad file to write")
    p.add_argument("--manifest", help="manifest.json of the base's export (default: <base>/artifacts/manifest.json "
                                      "if present); its encoder.int8.onnx hash must match the checkpoint's")
    p.add_argument("--later", type=int, default=1,
                   help="train on the last K items of each sequence (the newer data). The default data is the "
                        "training part plus the validation item (seq[:-1]); see --data")
    p.add_argument("--data", default="train+valid", choices=["train", "train+valid"],
                   help="train: the base's training sequences (seq[:-2]); train+valid: those plus the validation "
                        "item (the newest data a Beauty base has not seen); validation is then not used for selection")
    p.add_argument("--version", type=int, default=1, help="adapterVersion (must equal the signed target's)")
    p.add_argument("--rank", type=int, default=None, help="default: the model's lora_rank (manifest.lora.rank)")
    p.add_argument("--no-item-bias", action="store_true")
    p.add_argument("--context-weight", type=float, default=1.0,
                   help="loss weight of the earlier positions of each window (rehearsal; 0 = the later items only). "
                        "1.0 was the best setting on validation in the freshness experiment (EVAL.md)")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--max-steps", type=int, default=0)
    p.add_argument("--time-budget-min", type=float, default=3.0, help="CPU minutes / threads, like train.py")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--report-test", action="store_true",
                   help="score the test split (seq[-1] given seq[:-1]) with and without the adapter")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)

    model, ck = load_checkpoint(os.path.join(a.base, "model.pt"))
    ds = data_mod.load(ck["dataset"], ck.get("max_users"))
    rank = a.rank or model.cfg.lora_rank
    manifest_path = a.manifest or os.path.join(a.base, "artifacts", "manifest.json")
    manifest = None
    if os.path.exists(manifest_path):
        manifest = json.load(open(manifest_path))
        want = manifest["sha256"]["encoder.int8.onnx"]
        sha, same = matching_base_sha(model, want)
        if not same:
            raise SystemExit(f"{manifest_path}: encoder.int8.onnx is {want[:16]}…, this checkpoint exports "
                             f"{sha[:16]}…: not the same base model")
        if manifest["lora"]["rank"] != rank:
            raise SystemExit(f"rank {rank} != manifest.lora.rank {manifest['lora']['rank']}")
    elif a.manifest:
        raise SystemExit(f"{a.manifest}: not found")
    else:
        sha = base_encoder_sha(model)
        print(f"no manifest at {manifest_path}: binding to the checkpoint's own int8 export {sha}")

    if a.data == "train+valid":
        seqs = [list(h) + [int(t)] for h, t in zip(ds.valid.histories, ds.valid.targets)]
        valid = None
    else:
        seqs, valid = ds.train, ds.valid
    adapter, info = train_adapter(model, seqs, a.later, valid=valid, rank=rank, item_bias=not a.no_item_bias,
                                  lr=a.lr, batch_size=a.batch_size, epochs=a.epochs, max_steps=a.max_steps,
                                  time_budget_min=a.time_budget_min, threads=a.threads, seed=a.seed,
                                  context_weight=a.context_weight,
                                  log=lambda r: print(json.dumps({k: v for k, v in r.items() if k != "valid"}
                                                                 | ({"valid_ndcg10": r["valid"]["exclude_history"]["NDCG@10"]}
                                                                    if "valid" in r else {})), flush=True))
    if a.report_test:
        test = ds.tests["test"]
        for name, ad in (("base", None), ("base+adapter", adapter)):
            m = evaluate_with_adapter(model, test, ad)
            print(json.dumps({"split": "test", "model": name, "users": m["users"],
                              "exclude_history": m["exclude_history"], "all": m["all"]}), flush=True)
    meta = {"trainedOn": f"{ds.name}:{a.data}:last{a.later}", "base": os.path.basename(os.path.abspath(a.base)),
            "steps": str(info["steps"]), "tool": "training.adapter"}
    n = export_adapter(adapter, a.out, sha, a.version, meta)
    read_lsad(a.out, manifest)  # check what was written
    print(f"{n:>10}  {a.out}  (baseModel {sha}, adapterVersion {a.version}, rank {rank}, "
          f"{len(adapter.targets)} targets{', item_bias' if adapter.item_bias is not None else ''})")


if __name__ == "__main__":
    main()
