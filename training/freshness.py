"""Freshness experiment: stale base vs stale base + LoRA adapter vs full retrain, on the same test items.

    /usr/bin/python3 -m training.freshness arm --name stale   --out training/out/freshness   # base without the later items
    /usr/bin/python3 -m training.freshness arm --name retrain --out training/out/freshness   # from scratch on everything
    /usr/bin/python3 -m training.freshness adapter --out training/out/freshness              # LoRA on the later items
    /usr/bin/python3 -m training.freshness report  --out training/out/freshness [--eval-md EVAL.md]
    bash-free one-shot: /usr/bin/python3 -m training.freshness all --out training/out/freshness --eval-md EVAL.md

The data has no timestamps, so "newer data" is the later part of each sequence (docs: training/README.md,
"Adapters and freshness"). Amazon Beauty, leave-one-out: test = seq[-1] given seq[:-1], validation = seq[-2] given
seq[:-2], training part = seq[:-2] (as training/data.py). With ``h`` later items per user:

- **stale**: the pipeline's training (training/train.py, same code, presets and seed) on seq[:-2-h] only;
- **adapter**: the stale base frozen; LoRA (rank 8) on every attention q/k/v/out and FFN projection plus a per-item
  score bias, trained to predict the withheld items seq[-2-h:-2] (each given everything before it);
- **retrain**: the pipeline's training from scratch on all of seq[:-2].

Stale and retrain get the same CPU budget (train.py's ``--time-budget-min`` on the ``cpu`` clock: CPU seconds /
threads), the adapter its own. All three: validation seq[-2] for model selection, test seq[-1] given seq[:-1],
full ranking with training/evaluate.py (history excluded and not). Recovered fraction =
(adapter - stale) / (retrain - stale) on test NDCG@10.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Dict, List, Optional
from unittest import mock

import numpy as np
import torch

from . import data as data_mod
from . import train as train_mod

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BEGIN, END = "<!-- freshness:begin -->", "<!-- freshness:end -->"


def stale_dataset(ds: data_mod.Dataset, later: int) -> data_mod.Dataset:
    """``ds`` with the last ``later`` items of every training sequence withheld (validation/test unchanged)."""
    train = [list(s[:-later]) if later > 0 else list(s) for s in ds.train]
    return data_mod.Dataset(name=ds.name, num_items=ds.num_items, item_ids=ds.item_ids, titles=ds.titles, train=train,
                            valid=ds.valid, tests=ds.tests, shippable=ds.shippable, attribution=ds.attribution,
                            extra=dict(ds.extra, withheld_later=later))


def run_arm(name: str, a: argparse.Namespace) -> dict:
    """Train the stale base or the full retrain with training/train.py's own loop on the given training part."""
    ds = data_mod.load(a.dataset, a.max_users)
    if name == "stale":
        ds = stale_dataset(ds, a.later)
    out = os.path.join(a.out, name)
    argv = ["--dataset", a.dataset, "--out", out, "--time-budget-min", str(a.budget_min), "--budget-clock", "cpu",
            "--threads", str(a.threads), "--seed", str(a.seed), "--text-dim", str(a.text_dim)]
    if a.max_users:
        argv += ["--max-users", str(a.max_users)]
    if a.lr:
        argv += ["--lr", str(a.lr)]
    args = train_mod.parse_args(argv)
    if os.path.exists(os.path.join(out, "train_log.jsonl")):
        os.remove(os.path.join(out, "train_log.jsonl"))
    # train.train() loads its data by name; hand it this arm's training part instead (same loop, presets, seed).
    with mock.patch.object(train_mod.data_mod, "load", lambda *_a, **_k: ds):
        t0 = time.time()
        metrics = train_mod.train(args)
    info = {"arm": name, "wall_s": round(time.time() - t0, 1), "cpu_s": args.cpu_seconds,
            "train_positions": int(sum(max(len(s) - 1, 0) for s in ds.train)),
            "budget_min": a.budget_min, "threads": a.threads, "load_avg_end": os.getloadavg()}
    with open(os.path.join(out, "arm.json"), "w") as f:
        json.dump(info, f, indent=2)
    return metrics


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("stage", choices=["arm", "adapter", "report", "all"])
    p.add_argument("--name", choices=["stale", "retrain"])
    p.add_argument("--out", default="training/out/freshness")
    p.add_argument("--dataset", default="beauty", choices=["beauty"])
    p.add_argument("--max-users", type=int, default=None, help="first N users only (all three arms)")
    p.add_argument("--later", type=int, default=2, help="h: later items per user withheld from the stale base")
    p.add_argument("--budget-min", type=float, default=8.0, help="stale and retrain: train.py --time-budget-min (cpu clock)")
    p.add_argument("--adapter-budget-min", type=float, default=3.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=None, help="base training learning rate (default: preset)")
    p.add_argument("--text-dim", type=int, default=32)
    p.add_argument("--rank", type=int, default=8)
    p.add_argument("--adapter-lr", type=float, default=2e-3)
    p.add_argument("--no-item-bias", action="store_true")
    p.add_argument("--eval-md", default=None, help="write the freshness section of this EVAL.md")
    return p.parse_args(argv)


def main(argv=None) -> None:
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.stage == "arm":
        run_arm(a.name, a)
    else:
        raise SystemExit(f"stage {a.stage}: not implemented yet")


if __name__ == "__main__":
    main()
