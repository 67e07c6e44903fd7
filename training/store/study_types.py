"""Do event types help? The same synthetic multi-behaviour log (``synth.py``) through the store command three ways:

- ``types-weighted``: event types as encoder input and target weights by type (``--type-weights 1,1,2,3``),
- ``types``: types as input, every target weight 1 (``--type-weights 1,1,1,1``),
- ``ignore``: every event a view, weight 1 (``--event-types ignore``): what a one-type pipeline would do.

Each typed arm is compared with ``ignore``. The recipe's default is the arm with the best validation NDCG@10.

    /usr/bin/python3 -m training.store.study_types --out training/out/study-types --budget-min 4

Same split (steps do not depend on types: merging is by item), same seed, same budget on the CPU clock (CPU
seconds / threads: the same compute for every arm on a shared machine). Test figures are the int8
exports' (``metrics.json``); the paired comparison recomputes per-user NDCG@10 (history excluded) from each run's
checkpoint and bootstraps the difference over test users (2,000 resamples), overall and by the target's true type.
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch

from .. import data as data_mod
from ..evaluate import left_pad, rank_targets
from ..train import load_checkpoint
from . import cli, synth
from .events import EVENT_TYPES

ARMS = {"types-weighted": ["--type-weights", "1,1,2,3"], "types": ["--type-weights", "1,1,1,1"],
        "ignore": ["--event-types", "ignore"]}


@torch.no_grad()
def user_ndcg(run_dir: str, typed_input: bool) -> np.ndarray:
    ds = data_mod.load("store:" + os.path.join(run_dir + ".work", "data"))
    model, _ = load_checkpoint(os.path.join(run_dir + ".work", "model.pt"), ds)
    split = ds.tests["test"]
    table = model.items()
    out = []
    for s in range(0, len(split.histories), 1024):
        hist = split.histories[s:s + 1024]
        seqs = left_pad(hist, model.cfg.max_len)
        types = left_pad(split.types[s:s + 1024], model.cfg.max_len) if typed_input else None
        scores = model.user_vectors(table, seqs, types) @ table[1:].t()
        r = rank_targets(scores, torch.as_tensor(split.targets[s:s + 1024]), hist).numpy()
        out.append((r < 10) / np.log2(r + 2.0))
    return np.concatenate(out)


def paired(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, n: int = 2000) -> dict:
    d = a - b
    idx = rng.integers(0, len(d), size=(n, len(d)))
    boots = d[idx].mean(1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return {"diff": float(d.mean()), "ci95": [float(lo), float(hi)], "users": int(len(d)),
            "a": float(a.mean()), "b": float(b.mean())}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--users", type=int, default=20000)
    p.add_argument("--items", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budget-min", type=float, default=4.0)
    p.add_argument("--arms", default=",".join(ARMS))
    a = p.parse_args(argv)
    if "ignore" not in a.arms.split(",") or len(set(a.arms.split(","))) < 2 or any(
            x not in ARMS for x in a.arms.split(",")):
        p.error(f"--arms: a comma list of {', '.join(ARMS)} that includes 'ignore' (every arm is compared with it)")
    g = synth.generate(os.path.join(a.out, "log"), a.users, a.items, a.seed)
    arms = a.arms.split(",")
    for arm in arms:
        run_dir = os.path.join(a.out, arm)
        if not os.path.exists(os.path.join(run_dir, "metrics.json")):
            rc = cli.main(["--events", g["events"], "--catalog", g["catalog"], "--out", run_dir, "--seed", str(a.seed),
                           "--time-budget-min", str(a.budget_min), "--budget-clock", "cpu",
                           "--name", f"synth-{arm}"] + ARMS[arm])
            if rc:
                raise SystemExit(rc)
    res: dict = {"log": g, "seed": a.seed, "budget_min": a.budget_min, "arms": {}}
    ndcg = {}
    for arm in arms:
        m = json.load(open(os.path.join(a.out, arm, "metrics.json")))
        res["arms"][arm] = {"valid": m["pytorch"]["valid"]["exclude_history"]["NDCG@10"],
                            "test_int8": (m.get("onnx") or m["pytorch"])["test"], "train": m["train"],
                            "baselines": {k: m["baselines"][k]["exclude_history"] for k in ("popular", "cooccur")}}
        ndcg[arm] = user_ndcg(os.path.join(a.out, arm), arm != "ignore")
    res["chosen_on_validation"] = max(arms, key=lambda x: res["arms"][x]["valid"])
    typed_arm = next(x for x in arms if x != "ignore")
    split = data_mod.load("store:" + os.path.join(a.out, typed_arm + ".work", "data")).tests["test"]
    last = np.array([t[-1] for t in split.types])
    groups = {"all": np.ones(len(split.targets), bool)}
    for t, name in enumerate(EVENT_TYPES, 1):  # by the target's true type, and by the last input's type
        groups[f"target {name}"] = split.target_types == t
    for t, name in enumerate(EVENT_TYPES, 1):
        groups[f"after {name}"] = last == t
    rng = np.random.default_rng(0)
    for arm in [x for x in arms if x != "ignore"]:
        res[f"{arm}_vs_ignore"] = {k: paired(ndcg[arm][m], ndcg["ignore"][m], rng) for k, m in groups.items()
                                   if m.sum() > 50}
    with open(os.path.join(a.out, "study.json"), "w") as f:
        json.dump(res, f, indent=2, default=str)
    for arm in arms:
        print(f"{arm:18s} valid NDCG@10 {res['arms'][arm]['valid']:.4f}  test int8 "
              f"{res['arms'][arm]['test_int8']['exclude_history']['NDCG@10']:.4f}")
    print(f"chosen on validation: {res['chosen_on_validation']}")
    for k, v in res.items():
        if k.endswith("_vs_ignore"):
            for t, c in v.items():
                print(f"{k:28s} {t:18s} users {c['users']:6d}  NDCG@10 {c['a']:.4f} vs {c['b']:.4f}  diff "
                      f"{c['diff']:+.4f} [{c['ci95'][0]:+.4f}, {c['ci95'][1]:+.4f}]")


if __name__ == "__main__":
    main()
