"""Score an exported model the way the browser does: onnxruntime (Node) encoder over item vectors read from
``items.lsim``, scores against the same int8 item matrix, full ranking.

    /usr/bin/python3 -m training.eval_onnx --dir training/out/beauty/artifacts --dataset beauty [--encoder int8]

``--json PATH`` writes the figures in metrics.json's layout (a cross-check of the TypeScript evaluator, which is
the reference for ONNX figures).
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch

from . import data as data_mod
from . import lsim, onnx_runner
from .evaluate import left_pad, metrics_from_ranks, rank_targets


def onnx_metrics(art: str, ds: data_mod.Dataset, encoder: str = "int8", cold_items=None, chunk: int = 8192) -> dict:
    """Full-ranking metrics of the exported encoder on every split; histories with event types (store logs) feed
    them as ``event_types``, others feed all views. Users are encoded ``chunk`` at a time and scored in blocks, so
    memory stays bounded for large catalogs and many users."""
    man = json.load(open(os.path.join(art, "manifest.json")))
    items = lsim.read(os.path.join(art, man["files"]["items"]))
    table = np.concatenate([np.zeros((1, items.shape[1]), np.float32), items])
    lora = {}
    for t in man["lora"]["targets"]:
        lora[f"lora.{t['name']}.A"] = np.zeros((man["lora"]["rank"], t["in"]), np.float32)
        lora[f"lora.{t['name']}.B"] = np.zeros((t["out"], man["lora"]["rank"]), np.float32)
    out = {"encoder": f"encoder.{encoder}.onnx", "items": "items.lsim (int8, dequantized)"}
    for name, split in [("valid", ds.valid), *ds.tests.items()]:
        parts = []
        for c in range(0, len(split.histories), chunk):
            seqs = left_pad(split.histories[c:c + chunk], man["maxLen"]).numpy()
            types = ((seqs > 0).astype(np.int64) if split.types is None
                     else left_pad(split.types[c:c + chunk], man["maxLen"]).numpy())
            feeds = {"item_vectors": table[seqs], "event_types": types, **lora}
            parts.append(onnx_runner.run(os.path.join(art, f"encoder.{encoder}.onnx"), feeds,
                                         batched=("item_vectors", "event_types"), batch=512)["user_vector"])
        users, item_t = torch.from_numpy(np.concatenate(parts)), torch.from_numpy(items).t()
        step = int(max(64, min(4096, 5e7 // max(len(items), 1))))  # a [step, N] score block stays ~200 MB
        ra_parts, rx_parts = [], []
        for c in range(0, len(users), step):
            scores = users[c:c + step] @ item_t
            tg = torch.as_tensor(split.targets[c:c + step])
            ra_parts.append(rank_targets(scores, tg, None).numpy())
            rx_parts.append(rank_targets(scores, tg, split.histories[c:c + step]).numpy())
        ra, rx = np.concatenate(ra_parts), np.concatenate(rx_parts)
        res = {"all": metrics_from_ranks(ra), "exclude_history": metrics_from_ranks(rx), "users": int(len(ra))}
        if split.target_types is not None:  # store logs: the same figures per event type of the target
            from .store.baselines import by_type
            res["by_target_type"] = by_type(ra, rx, split.target_types)
        if cold_items is not None and name != "valid":
            is_cold = np.zeros(ds.num_items + 1, bool)
            is_cold[np.asarray(cold_items)] = True
            for sub, mask in (("cold_target", is_cold[split.targets]), ("warm_target", ~is_cold[split.targets])):
                res[sub] = {"all": metrics_from_ranks(ra[mask]), "exclude_history": metrics_from_ranks(rx[mask]),
                            "users": int(mask.sum())}
        out[name] = res
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", required=True)
    p.add_argument("--dataset", required=True, help="beauty, ml1m, or store:<prepared folder> (training.store)")
    p.add_argument("--encoder", default="int8", choices=["int8", "fp32"])
    p.add_argument("--json", help="write the figures here")
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    ds = data_mod.load(a.dataset)
    cold_path = os.path.join(a.dir, "cold_items.json")
    cold = json.load(open(cold_path))["items"] if os.path.exists(cold_path) else None
    res = onnx_metrics(a.dir, ds, a.encoder, cold)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)
    for name in [k for k in res if isinstance(res[k], dict)]:
        r = res[name]
        print(f"{name:10s} users {r['users']:6d}  NDCG@10 all {r['all']['NDCG@10']:.4f} excl {r['exclude_history']['NDCG@10']:.4f}"
              f"  HR@10 all {r['all']['HR@10']:.4f} excl {r['exclude_history']['HR@10']:.4f}")


if __name__ == "__main__":
    main()
