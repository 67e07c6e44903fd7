"""Export a trained checkpoint to the artifact set of docs/artifacts.md.

    /usr/bin/python3 -m training.export --ckpt training/out/beauty/model.pt --out training/out/beauty/artifacts
    /usr/bin/python3 -m training.export --ckpt training/out/beauty/model.pt --ship public/models/beauty

``--out`` writes everything (fp32 and int8 encoders, text tower fp32 + int8). ``--ship`` writes only what the
browser loads (int8 encoder, items.lsim, catalog.json, text/ with the int8 tower, manifest.json, ATTRIBUTION.md)
and refuses datasets whose license forbids redistribution. ``--ship`` also copies the run's metrics.json
(PyTorch figures; informational, not in the manifest's hashes).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
from typing import Dict, List, Optional, Tuple

import numpy as np
import onnx
import torch
import torch.nn as nn

from . import data as data_mod
from . import lsim
from .model import Encoder, ItemTower, Recommender
from .quantize import quantize_model
from .tokenizer import DEFAULT_DIR as TOKENIZER_DIR, MAX_LENGTH
from .train import load_checkpoint

OPSET = 17
EVENT_TYPES = ["view", "click", "add_to_cart", "purchase"]
BEAUTY_ATTRIBUTION = """# Attribution: Amazon Beauty demo model

The files in this folder (`catalog.json`, `items.lsim`, `encoder.int8.onnx`, `text/onnx/model_quantized.onnx`) are
derived from the **Amazon review data** (Beauty category, 5-core, 2014 release) collected by
**Julian McAuley, UCSD** (R. He and J. McAuley, "Ups and Downs: Modeling the Visual Evolution of Fashion Trends with
One-Class Collaborative Filtering", WWW 2016; J. McAuley et al., "Image-based Recommendations on Styles and
Substitutes", SIGIR 2015). That data is made available for **research use**.

What is shipped: a derived catalog (product ASINs, product titles, interaction counts, and S3-Rec's numeric brand and
category ids as `tags`) and model weights trained on the review sequences and those ids (the S3-Rec split and
attribute file, aHuiWang/CIKM2020-S3Rec). No review text, ratings or user identifiers are
included. It is shipped, with this attribution, only as a demo catalog for the library; it is not part of the npm
package (`files` lists only `dist/`). Do not use it commercially; obtain the data under its own terms if you need it.

The tokenizer files under `text/` (`tokenizer.json`, `tokenizer_config.json`) are the all-MiniLM-L6-v2 WordPiece
tokenizer (Apache-2.0, sentence-transformers / Xenova); the text-tower weights are trained here, not MiniLM's.
"""


# ------------------------------------------------------------------------------------------------ graphs -----
class EncoderGraph(nn.Module):
    """ONNX view of the encoder: (item_vectors, event_types, lora.*.A, lora.*.B...) -> user_vector."""

    def __init__(self, enc: Encoder):
        super().__init__()
        self.enc = enc
        self.names = [n for n, _ in enc.lora_targets()]

    def forward(self, item_vectors, event_types, *lora_tensors):
        lora = {n: (lora_tensors[2 * i], lora_tensors[2 * i + 1]) for i, n in enumerate(self.names)}
        return self.enc(item_vectors, event_types, lora)[:, -1]


class TextGraph(nn.Module):
    """transformers.js feature-extraction layout: (input_ids, attention_mask) -> last_hidden_state; the mean over
    the mask of last_hidden_state is the item's text vector."""

    def __init__(self, tower: ItemTower):
        super().__init__()
        self.table = nn.Parameter(tower.full_token_table())
        self.proj = nn.Linear(tower.cfg.text_dim, tower.cfg.dim)
        self.proj.load_state_dict(tower.proj.state_dict())

    def forward(self, input_ids, attention_mask):
        h = self.proj(self.table[input_ids])
        return h * attention_mask.unsqueeze(-1).to(h.dtype)


def lora_spec(enc: Encoder, rank: int) -> List[dict]:
    return [{"name": n, "in": m.in_features, "out": m.out_features} for n, m in enc.lora_targets()]


def zero_lora(enc: Encoder, rank: int) -> List[torch.Tensor]:
    out = []
    for _, m in enc.lora_targets():
        out += [torch.zeros(rank, m.in_features), torch.zeros(m.out_features, rank)]
    return out


def lora_input_names(enc: Encoder) -> List[str]:
    return [f"lora.{n}.{ab}" for n, _ in enc.lora_targets() for ab in ("A", "B")]


def export_encoder(model: Recommender, path: str) -> None:
    enc = model.encoder
    # in eval mode, wrapper included: torch.onnx.export restores the wrapper's mode on exit, and a wrapper left in
    # train mode would put the caller's encoder back in training (dropout on)
    g = EncoderGraph(enc).eval()
    cfg = model.cfg
    x = torch.randn(2, cfg.max_len, cfg.dim) * 0.1
    et = torch.ones(2, cfg.max_len, dtype=torch.long)
    et[0, :10] = 0
    names = ["item_vectors", "event_types"] + lora_input_names(enc)
    dyn = {"item_vectors": {0: "batch"}, "event_types": {0: "batch"}, "user_vector": {0: "batch"}}
    torch.onnx.export(g, (x, et, *zero_lora(enc, cfg.lora_rank)), path, input_names=names,
                      output_names=["user_vector"], dynamic_axes=dyn, opset_version=OPSET, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    got = [i.name for i in m.graph.input]
    if got != names:
        raise RuntimeError(f"encoder inputs {got} != {names}")


def export_text(model: Recommender, path: str) -> None:
    g = TextGraph(model.items).eval()
    ids = torch.tensor([[101, 2000, 102, 0], [101, 2001, 2002, 102]])
    mask = (ids > 0).long()
    torch.onnx.export(g, (ids, mask), path, input_names=["input_ids", "attention_mask"],
                      output_names=["last_hidden_state"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                    "attention_mask": {0: "batch", 1: "sequence"},
                                    "last_hidden_state": {0: "batch", 1: "sequence"}},
                      opset_version=OPSET, do_constant_folding=True)


def quantize_file(src: str, dst: str, gather: bool = False) -> None:
    onnx.save(quantize_model(onnx.load(src), gather=gather), dst)


def text_config(model: Recommender) -> dict:
    cfg = model.cfg
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": cfg.dim,
        "vocab_size": cfg.vocab_size,
        "max_position_embeddings": MAX_LENGTH,
        "num_hidden_layers": 1,
        "num_attention_heads": 1,
        "intermediate_size": cfg.dim,
        "pad_token_id": 0,
        "localshelf": {
            "kind": "bag-of-tokens text tower: per-token linear transform of a token table, mean-pooled",
            "pooling": "mean over attention_mask (includes [CLS] and [SEP])",
            "text_dim": cfg.text_dim,
            "normalize": False,
        },
    }


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ------------------------------------------------------------------------------------------------ export -----
def item_matrix(model: Recommender) -> np.ndarray:
    with torch.no_grad():
        return model.items()[1:].numpy().astype(np.float32)


def catalog_items(ds: data_mod.Dataset, pop: np.ndarray) -> List[dict]:
    """catalog.json rows: id, title, popularity; store catalogs add ``text`` (the text-tower input, when it is not
    the title), ``category``, ``brand``, ``price`` and free ``attrs`` (readers ignore keys they do not know)."""
    shown = ds.extra.get("display_titles") or ds.titles
    attrs = ds.extra.get("catalog_attrs")
    rows = []
    for i, (iid, title, text, p) in enumerate(zip(ds.item_ids, shown, ds.titles, pop)):
        row = {"id": iid, "title": title, "popularity": int(p)}
        if text != title:
            row["text"] = text
        if attrs:
            row.update(attrs[i])
        rows.append(row)
    return rows


def export_all(ckpt_path: str, out: str, ship: bool = False, browser: bool = False,
               ds: Optional[data_mod.Dataset] = None) -> Dict[str, str]:
    """``ship``: browser files only, refused for data that may not be redistributed; ``browser``: browser files
    only, no license check (a store's own model folder, or a local evaluation folder). ``ds``: the checkpoint's
    data set when the caller has it loaded already (not read again; not for the cold-start variant)."""
    model, ck = load_checkpoint(ckpt_path, ds)
    ds = ds or data_mod.load(ck["dataset"], ck.get("max_users"))
    browser = browser or ship
    if ship and ck.get("cold_fraction"):
        raise SystemExit("the cold-start variant is for evaluation; ship the full model")
    if ship and not ds.shippable:
        raise SystemExit(f"{ds.name}: license forbids redistribution; export it with --out, never --ship")
    cfg = model.cfg
    os.makedirs(os.path.join(out, "text", "onnx"), exist_ok=True)
    tmp = os.path.join(out, ".tmp")
    os.makedirs(tmp, exist_ok=True)
    files: Dict[str, str] = {}

    fp32 = os.path.join(out if not browser else tmp, "encoder.fp32.onnx")
    export_encoder(model, fp32)
    quantize_file(fp32, os.path.join(out, "encoder.int8.onnx"))
    files["encoder.int8.onnx"] = "encoder.int8.onnx"
    # the same int8 graph without its LoRA branch: what the engine runs while no adapter with LoRA is active
    from .strip_lora import strip_file
    strip_file(os.path.join(out, "encoder.int8.onnx"), os.path.join(out, "encoder.base.int8.onnx"))
    files["encoder.base.int8.onnx"] = "encoder.base.int8.onnx"
    if not browser:
        files["encoder.fp32.onnx"] = "encoder.fp32.onnx"

    lsim.write(os.path.join(out, "items.lsim"), item_matrix(model))
    files["items.lsim"] = "items.lsim"

    pop = ds.popularity()
    if ck.get("cold_items"):
        pop[np.asarray(ck["cold_items"]) - 1] = 0
    catalog = {"items": catalog_items(ds, pop), "attribution": ds.attribution}
    with open(os.path.join(out, "catalog.json"), "w", encoding="utf-8") as f:
        json.dump(catalog, f, ensure_ascii=False, separators=(",", ":"))
    files["catalog.json"] = "catalog.json"

    text_fp32 = os.path.join(out if not browser else tmp, "text", "onnx", "model.onnx")
    os.makedirs(os.path.dirname(text_fp32), exist_ok=True)
    export_text(model, text_fp32)
    quantize_file(text_fp32, os.path.join(out, "text", "onnx", "model_quantized.onnx"), gather=True)
    files["text/onnx/model_quantized.onnx"] = "text/onnx/model_quantized.onnx"
    if not browser:
        files["text/onnx/model.onnx"] = "text/onnx/model.onnx"
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(TOKENIZER_DIR, name), os.path.join(out, "text", name))
        files[f"text/{name}"] = f"text/{name}"
    with open(os.path.join(out, "text", "config.json"), "w") as f:
        json.dump(text_config(model), f, indent=2)
    files["text/config.json"] = "text/config.json"
    shutil.rmtree(tmp, ignore_errors=True)

    if ds.name == "beauty" and browser:
        with open(os.path.join(out, "ATTRIBUTION.md"), "w") as f:
            f.write(BEAUTY_ATTRIBUTION)
    metrics = os.path.join(os.path.dirname(os.path.abspath(ckpt_path)), "metrics.json")
    if browser and os.path.exists(metrics):  # the PyTorch figures travel with the shipped model (informational)
        shutil.copyfile(metrics, os.path.join(out, "metrics.json"))

    manifest = {
        "format": 1,
        "name": ds.name,
        "dim": cfg.dim,
        "maxLen": cfg.max_len,
        "numItems": ds.num_items,
        "eventTypes": EVENT_TYPES,
        "files": {"encoder": "encoder.int8.onnx", "encoderBase": "encoder.base.int8.onnx", "items": "items.lsim",
                  "catalog": "catalog.json", "text": "text/"},
        "sha256": {k: sha256(os.path.join(out, v)) for k, v in sorted(files.items())},
        "lora": {"rank": cfg.lora_rank, "targets": lora_spec(model.encoder, cfg.lora_rank)},
        "text": {"pooling": "mean", "maxTokens": MAX_LENGTH, "dim": cfg.dim},
        "attribution": ("Amazon Beauty 5-core (J. McAuley, UCSD), research use; see public/models/beauty/ATTRIBUTION.md"
                        if ds.name == "beauty" else ds.attribution),
    }
    if ck.get("cold_items"):
        manifest["coldItems"] = len(ck["cold_items"])
        with open(os.path.join(out, "cold_items.json"), "w") as f:
            json.dump({"items": ck["cold_items"], "fraction": ck.get("cold_fraction"), "seed": ck.get("cold_seed")}, f)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    return files


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", required=True)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--out", help="full export (fp32 + int8) into this folder")
    g.add_argument("--ship", help="browser files only (int8) into this folder, e.g. public/models/beauty")
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    dest = a.out or a.ship
    files = export_all(a.ckpt, dest, ship=bool(a.ship))
    for f in sorted(files):
        print(f"{os.path.getsize(os.path.join(dest, f)):>10}  {f}")


if __name__ == "__main__":
    main()
