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


def onnx_metrics(art: str, ds: data_mod.Dataset, encoder: str = "int8", cold_items=None) -> dict:
    man = json.load(open(os.path.join(art, "manifest.json")))
    items = lsim.read(os.path.join(art, man["files"]["items"]))
    table = np.concatenate([np.zeros((1, items.shape[1]), np.float32), items])
    lora = {}
    for t in man["lora"]["targets"]:
        lora[f"lora.{t['name']}.A"] = np.zeros((man["lora"]["rank"], t["in"]), np.float32)
        lora[f"lora.{t['name']}.B"] = np.zeros((t["out"], man["lora"]["rank"]), np.float32)
    out = {"encoder": f"encoder.{encoder}.onnx", "items": "items.lsim (int8, dequantized)"}
    for name, split in [("valid", ds.valid), *ds.tests.items()]:
        seqs = left_pad(split.histories, man["maxLen"]).numpy()
        feeds = {"item_vectors": table[seqs], "event_types": (seqs > 0).astype(np.int64), **lora}
        users = onnx_runner.run(os.path.join(art, f"encoder.{encoder}.onnx"), feeds,
                                batched=("item_vectors", "event_types"), batch=512)["user_vector"]
        scores = torch.from_numpy(users) @ torch.from_numpy(items).t()
        tg = torch.as_tensor(split.targets)
        ra = rank_targets(scores, tg, None).numpy()
        rx = rank_targets(scores, tg, split.histories).numpy()
        res = {"all": metrics_from_ranks(ra), "exclude_history": metrics_from_ranks(rx), "users": int(len(ra))}
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
    p.add_argument("--dataset", required=True, choices=["beauty", "ml1m"])
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
