"""Offline check of an ensemble: the per-user sum of several trained models' scores, full ranking, history excluded
(training/evaluate.py's rank rule), against each model alone. EVAL.md, "Accuracy targets" (2026-12-06).

    /usr/bin/python3 -m training.tools.ensemble_eval training/out/exp-beauty-s0 training/out/exp-beauty-s1 [...]

Each argument is a store-command run folder; its work folder ``<run>.work`` holds ``model.pt`` and the prepared
data, and every run must share the first run's data. Prints validation and test NDCG@10 of each model, of the
first two summed and of all summed."""
from __future__ import annotations

import argparse
import json
from typing import List

import numpy as np
import torch

from training import cpu
from training import data as data_mod
from training.evaluate import left_pad, metrics_from_ranks, rank_targets
from training.train import load_checkpoint


@torch.no_grad()
def ensemble_ndcg(models, split: data_mod.EvalSet, batch: int = 1024) -> dict:
    names = [f"model {i}" for i in range(len(models))] + ["first two summed", "all summed"]
    ranks: List[List[np.ndarray]] = [[] for _ in names]
    tables = [m.items() for m in models]
    for s in range(0, len(split.histories), batch):
        hist = split.histories[s:s + batch]
        tg = torch.as_tensor(split.targets[s:s + batch], dtype=torch.long)
        scores = [m.user_vectors(t, left_pad(hist, m.cfg.max_len)) @ t[1:].t() for m, t in zip(models, tables)]
        combos = scores + [scores[0] + scores[1], sum(scores)]
        for r, sc in zip(ranks, combos):
            r.append(rank_targets(sc, tg, hist).numpy())
    return {n: round(metrics_from_ranks(np.concatenate(r))["NDCG@10"], 4) for n, r in zip(names, ranks)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="store-command run folders (at least two)")
    a = p.parse_args(argv)
    if len(a.runs) < 2:
        p.error("give at least two runs")
    cpu.setup(2)
    ds = data_mod.load("store:" + f"{a.runs[0].rstrip('/')}.work/data")
    models = [load_checkpoint(f"{r.rstrip('/')}.work/model.pt", ds)[0] for r in a.runs]
    for name, split in (("valid", ds.valid), ("test", ds.tests["test"])):
        print(name, json.dumps(ensemble_ndcg(models, split)), flush=True)


if __name__ == "__main__":
    main()
