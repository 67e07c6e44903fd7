"""How hard each held-out step of the converted ML-1M log is: validation and test NDCG@10 (full ranking, history
excluded) of a store run's checkpoint and of the two baselines (most popular, item-to-item co-occurrence), on the
512 exact-protocol users (their whole history is in the shared files) and on all 6,040. EVAL.md, "Accuracy
targets" (2026-12-07, fourth session).

    /usr/bin/python3 -m training.tools.ml1m_steps training/out/exp-ml1m-noattr

The argument is a store-command run on ``training.store.convert ml1m``'s log; its work folder ``<run>.work`` holds
``model.pt`` and the prepared data. The exact users are found by content: their test history equals the gSASRec
``val_input + val_output`` sequence (the prepared folder holds no user ids). A baseline that drops by the same share
as the model from one step to the next says the step, not the model, is harder. The figures are the PyTorch
checkpoint's; for a run with the refit (the default) its validation figures are not held out (it trained on them).
"""
from __future__ import annotations

import argparse
import json
import os
from typing import Dict, Sequence

import numpy as np
import torch

from training import cpu
from training import data as data_mod
from training.store.baselines import evaluate_baselines
from training.evaluate import target_ranks
from training.train import load_checkpoint


def exact_users(ds: data_mod.Dataset, root: str) -> Dict[str, np.ndarray]:
    """Boolean masks over ``ds.valid`` and ``ds.tests['test']``: the users whose whole sequence up to the step is in
    the gSASRec files (validation input + output)."""
    index = {e: i + 1 for i, e in enumerate(ds.item_ids)}
    with open(os.path.join(root, "gsasrec_val_input.txt")) as f:
        val_in = [line.split() for line in f if line.strip()]
    with open(os.path.join(root, "gsasrec_val_output.txt")) as f:
        val_out = [line.split()[0] for line in f if line.strip()]
    full = {tuple(index[x] for x in s + [o]) for s, o in zip(val_in, val_out)}
    test = ds.tests["test"]
    return {"valid": np.array([tuple(map(int, h)) + (int(t),) in full for h, t in zip(ds.valid.histories, ds.valid.targets)]),
            "test": np.array([tuple(map(int, h)) in full for h in test.histories])}


def _subset(split: data_mod.EvalSet, mask: np.ndarray):
    idx = np.nonzero(mask)[0]
    return [split.histories[i] for i in idx], split.targets[idx]


@torch.no_grad()
def user_ndcg(model, split: data_mod.EvalSet, batch: int = 1024) -> np.ndarray:
    """Each user's NDCG@10 (0 outside the top 10), full ranking, history excluded."""
    model.eval()
    table = model.items()
    r = target_ranks(lambda seqs: model.user_vectors(table, seqs), table, split.histories, split.targets,
                     model.cfg.max_len, batch)[1]
    return (r < 10) / np.log2(r + 2.0)


def step_table(ds: data_mod.Dataset, model, masks: Dict[str, np.ndarray]) -> Dict[str, Dict[str, float]]:
    """{"<step>, <users>": {model, model_se (standard error of the users' mean), popular, cooccur}}."""
    out: Dict[str, Dict[str, float]] = {}
    for step, split in (("valid", ds.valid), ("test", ds.tests["test"])):
        per_user = user_ndcg(model, split)
        for who, sel in (("exact", masks[step]), ("all", np.ones(len(split.targets), bool))):
            label = f"{step}, {who} users ({int(sel.sum())})"
            x = per_user[sel]
            hist, tg = _subset(split, sel)
            b = evaluate_baselines(ds.train, ds.popularity(), hist, tg)
            out[label] = {"model": float(x.mean()), "model_se": float(x.std(ddof=1) / np.sqrt(len(x))),
                          **{k: b[k]["exclude_history"]["NDCG@10"] for k in ("popular", "cooccur")}}
    return out


def main(argv: Sequence[str] = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", help="store-command run folder on the converted ML-1M log")
    p.add_argument("--shared", default=os.path.join(data_mod.DATASETS, "movielens-1m"),
                   help="the gSASRec files (default: ../shared/datasets/movielens-1m)")
    a = p.parse_args(argv)
    cpu.setup(2)
    run = a.run.rstrip("/")
    ds = data_mod.load("store:" + f"{run}.work/data")
    model = load_checkpoint(f"{run}.work/model.pt", ds)[0]
    rows = step_table(ds, model, exact_users(ds, a.shared))
    print("| step, users | model NDCG@10 (± standard error) | most popular | co-occurrence |\n|---|---:|---:|---:|")
    for label, r in rows.items():
        print(f"| {label} | {r['model']:.4f} ± {r['model_se']:.4f} | {r['popular']:.4f} | {r['cooccur']:.4f} |")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
