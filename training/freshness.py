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
from typing import Dict, List, Optional, Tuple
from unittest import mock

import numpy as np
import torch

from .sections import write_section
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


def arm_paths(out: str, name: str) -> str:
    return os.path.join(out, name, "model.pt")


def epoch_logger(out: str):
    """A ``log`` callback for train_adapter: every record to ``<out>/train_log.jsonl``, a short line to stdout."""
    logf = open(os.path.join(out, "train_log.jsonl"), "w")

    def say(rec: dict) -> None:
        logf.write(json.dumps(rec) + "\n")
        logf.flush()
        short = {k: v for k, v in rec.items() if k != "valid"}
        if "valid" in rec:
            short["valid_ndcg10"] = round(rec["valid"]["exclude_history"]["NDCG@10"], 5)
        print(json.dumps(short), flush=True)
    return say


def run_adapter(a: argparse.Namespace) -> dict:
    """LoRA (+ item bias) on the stale base, trained on the withheld later items; written as a real .lsad file bound to
    the stale base's int8 encoder hash."""
    from .adapter import base_encoder_sha, export_adapter, train_adapter

    ds = data_mod.load(a.dataset, a.max_users)
    model, _ = train_mod.load_checkpoint(arm_paths(a.out, "stale"), ds)
    out = os.path.join(a.out, a.adapter_dir)
    os.makedirs(out, exist_ok=True)
    say = epoch_logger(out)

    t0 = time.time()
    # ds.train = seq[:-2]; its last `later` items are exactly what the stale base never saw
    adapter, info = train_adapter(model, ds.train, a.later, valid=ds.valid, rank=a.rank,
                                  item_bias=not a.no_item_bias, lr=a.adapter_lr, epochs=200,
                                  time_budget_min=a.adapter_budget_min, threads=a.threads, eval_every=1,
                                  patience=3, seed=a.seed, context_weight=a.context_weight, log=say)
    sha = base_encoder_sha(model, keep_dir=os.path.join(a.out, "stale", "encoder"))
    path = os.path.join(out, "adapter.lsad")
    size = export_adapter(adapter, path, sha, version=1,
                          meta={"trainedOn": f"{a.dataset}:later{a.later}", "base": "freshness/stale",
                                "tool": "training.freshness"})
    info.update({"wall_s_total": round(time.time() - t0, 1), "file": path, "bytes": size, "baseModel": sha,
                 "rank": adapter.rank, "targets": adapter.targets, "item_bias": adapter.item_bias is not None,
                 "lr": a.adapter_lr, "later": a.later, "load_avg_end": os.getloadavg()})
    with open(os.path.join(out, "adapter.json"), "w") as f:
        json.dump(info, f, indent=2)
    return info


def export_stale(a: argparse.Namespace, ds: data_mod.Dataset) -> str:
    """The stale base's browser model folder (what a store shipped before the update): <out>/stale/artifacts."""
    from .export import export_all

    folder = os.path.join(a.out, "stale", "artifacts")
    if not os.path.exists(os.path.join(folder, "manifest.json")):
        export_all(arm_paths(a.out, "stale"), folder, browser=True, ds=stale_dataset(ds, a.later))
    return folder


def run_update(a: argparse.Namespace) -> dict:
    """An item-table update for the stale base (training/update.py): LoRA + item bias + row deltas trained on the
    withheld later items like the adapter, then cut to ``--update-budget`` of the stale model folder's bytes (the
    largest row deltas), written as a format-2 .lsad bound to the stale encoder and items.lsim."""
    from . import lsim
    from .adapter import train_adapter
    from .export import sha256
    from .adapter import LoraAdapter
    from .update import (encode_update, model_folder_bytes, new_rows, rows_by_count, rows_for_budget, select_rows,
                         update_tensors)

    ds = data_mod.load(a.dataset, a.max_users)
    model, _ = train_mod.load_checkpoint(arm_paths(a.out, "stale"), ds)
    folder = export_stale(a, ds)
    manifest = json.load(open(os.path.join(folder, "manifest.json")))
    out = os.path.join(a.out, a.update_dir)
    os.makedirs(out, exist_ok=True)
    say = epoch_logger(out)

    enc_sha, items_sha = manifest["sha256"]["encoder.int8.onnx"], manifest["sha256"]["items.lsim"]
    base = lsim.read(os.path.join(folder, "items.lsim"))  # the int8 rows the browser holds, dequantized
    folder_bytes = model_folder_bytes(folder, manifest)
    budget = int(folder_bytes * a.update_budget)
    meta = {"trainedOn": f"{a.dataset}:later{a.later}", "base": "freshness/stale", "tool": "training.freshness update"}
    trainable = None
    if a.update_rows == "count":  # the rows that ship are chosen first: the items the later data is most about
        probe = LoraAdapter(model, item_bias=True, item_rows=True)
        fixed = len(encode_update(1, enc_sha, items_sha, probe.rank, update_tensors(
            probe, np.zeros(0, np.int32), np.zeros((0, base.shape[1]), np.float32)), meta=meta))
        k = rows_for_budget(budget, fixed + 3 * 64 + 512, base.shape[1], ds.num_items)
        later = np.zeros(ds.num_items + 1)
        every = np.zeros(ds.num_items + 1)
        for s in ds.train:
            np.add.at(later, np.asarray(s[-a.later:], dtype=np.int64), 1)
            np.add.at(every, np.asarray(s, dtype=np.int64), 1)
        trainable = rows_by_count(later[1:], k, every[1:])
    t0 = time.time()
    adapter, info = train_adapter(model, ds.train, a.later, valid=ds.valid, rank=a.rank, item_bias=True,
                                  lr=a.adapter_lr, epochs=200, time_budget_min=a.adapter_budget_min, threads=a.threads,
                                  eval_every=1, patience=3, seed=a.seed, context_weight=a.context_weight, log=say,
                                  item_rows=True, trainable_rows=trainable)
    fp32 = frozen_table_np(model)

    def encode(k: int) -> Tuple[bytes, np.ndarray]:
        rows = select_rows(adapter, k)
        return encode_update(1, enc_sha, items_sha, adapter.rank,
                             update_tensors(adapter, rows, new_rows(fp32, adapter, rows)), meta=meta), rows

    fixed = len(encode(0)[0])
    k = rows_for_budget(budget, fixed, base.shape[1], ds.num_items)
    blob, rows = encode(k)
    while len(blob) > budget and k > 0:  # header entries and alignment padding of the item tensors
        k -= (len(blob) - budget + 63) // 64 + 1
        blob, rows = encode(max(k, 0))
    path = os.path.join(out, "update.lsad")
    with open(path, "wb") as f:
        f.write(blob)
    torch.save({"item_delta": adapter.item_delta.detach()}, os.path.join(out, "delta.pt"))
    info.update({"wall_s_total": round(time.time() - t0, 1), "file": path, "bytes": len(blob), "baseModel": enc_sha,
                 "baseItems": items_sha, "rows": int(len(rows)), "model_folder_bytes": folder_bytes,
                 "budget_fraction": a.update_budget, "budget_bytes": budget, "rank": adapter.rank,
                 "row_choice": a.update_rows,
                 "targets": adapter.targets, "item_bias": True, "lr": a.adapter_lr, "later": a.later,
                 "load_avg_end": os.getloadavg()})
    assert sha256(os.path.join(folder, "items.lsim")) == items_sha
    with open(os.path.join(out, "update.json"), "w") as f:
        json.dump(info, f, indent=2)
    return info


def frozen_table_np(model) -> np.ndarray:
    from .adapter import frozen_table
    return frozen_table(model)[1:].numpy().astype(np.float32)


def _ranks(model, split, adapter=None, table=None) -> Dict[str, np.ndarray]:
    """Per-user 0-based ranks of the target, both variants, by training/evaluate.py's rank_targets (paired tests)."""
    from .adapter import frozen_table, user_vectors
    from .evaluate import left_pad, rank_targets

    table = frozen_table(model) if table is None else table
    items = (adapter.table(table) if adapter is not None else table)[1:]
    bias = adapter.bias_row()[1:] if adapter is not None and adapter.item_bias is not None else None
    ra, rx = [], []
    with torch.no_grad():
        for s in range(0, len(split.histories), 1024):
            hist = split.histories[s:s + 1024]
            u = user_vectors(model, table, left_pad(hist, model.cfg.max_len), adapter)
            scores = u @ items.t()
            if bias is not None:
                scores = scores + bias
            tg = torch.as_tensor(split.targets[s:s + 1024], dtype=torch.long)
            ra.append(rank_targets(scores, tg, None).numpy())
            rx.append(rank_targets(scores, tg, hist).numpy())
    return {"all": np.concatenate(ra), "exclude_history": np.concatenate(rx)}


def _ndcg10(r: np.ndarray) -> np.ndarray:
    return np.where(r < 10, 1.0 / np.log2(r + 2.0), 0.0)


def recovered(ranks: Dict[str, Dict[str, np.ndarray]], arm: str, rng: np.random.Generator) -> dict:
    """(arm - stale) / (retrain - stale) on test NDCG@10, both ranking variants, with a paired bootstrap CI."""
    out = {}
    for v in ("exclude_history", "all"):
        s, ad, rt = (_ndcg10(ranks[k][v]) for k in ("stale", arm, "retrain"))
        gap, gain = rt - s, ad - s
        frac = float(gain.mean() / gap.mean()) if gap.mean() != 0 else float("nan")
        boot = []
        n = len(s)
        for _ in range(1000):
            idx = rng.integers(0, n, n)
            g = gap[idx].mean()
            boot.append(gain[idx].mean() / g if g != 0 else np.nan)
        lo, hi = np.nanpercentile(boot, [2.5, 97.5])
        out[v] = {
            "fraction": frac, "ci95": [float(lo), float(hi)],
            "gap": float(gap.mean()), "gap_se": float(gap.std(ddof=1) / np.sqrt(n)),
            "gain": float(gain.mean()), "gain_se": float(gain.std(ddof=1) / np.sqrt(n)),
            "retrain_minus_adapter": float((rt - ad).mean()), "retrain_minus_adapter_se": float((rt - ad).std(ddof=1) / np.sqrt(n))}
    return out


def unseen_items(stale: data_mod.Dataset) -> set:
    """Items that never occur in the stale base's training sequences: new products as far as it knows."""
    seen = {int(i) for s in stale.train for i in s}
    return set(range(1, stale.num_items + 1)) - seen


def load_update(model, header: dict, tensors: Dict[str, np.ndarray], base_items: np.ndarray):
    """(adapter with the update's LoRA + bias, the item table [N+1, D] the engine runs on after the swap)."""
    from .adapter import load_adapter_tensors
    from .update import apply_update, torch_table

    table, _, _ = apply_update(base_items, header, tensors)
    keep = {k: v for k, v in tensors.items() if k.startswith("lora.") or k == "item_bias"}
    return load_adapter_tensors(model, keep, rank=header["rank"]), torch_table(table)


def update_parts(a: argparse.Namespace, stale, test, header: dict, tensors: Dict[str, np.ndarray],
                 base_items: np.ndarray, unseen: set) -> dict:
    """Where the update's gain is: the shipped file with parts left out, and the untruncated training result."""
    from .adapter import LoraAdapter, evaluate_with_adapter, frozen_table

    def score(t: Dict[str, np.ndarray]) -> float:
        ad, table = load_update(stale, header, t, base_items)
        return evaluate_with_adapter(stale, test, ad, table)["exclude_history"]["NDCG@10"]

    items = {k: v for k, v in tensors.items() if k.startswith("items.")}
    rows = tensors.get("items.rows", np.zeros(0, np.int32))
    new_sel = np.isin(rows + 1, list(unseen))
    only_new = {"items.rows": rows[new_sel], "items.q": tensors["items.q"][new_sel],
                "items.scale": tensors["items.scale"][new_sel]} if new_sel.any() else {}
    lora = {k: v for k, v in tensors.items() if k.startswith("lora.")}
    bias = {k: v for k, v in tensors.items() if k == "item_bias"}
    out = {"rows_only": score(items), "new_item_rows_only": score(only_new) if only_new else None,
           "bias_only": score(bias), "lora_only": score(lora) if lora else None,
           "rows_and_bias": score({**items, **bias}),
           "rows_shipped": int(len(rows)), "rows_shipped_new_items": int(new_sel.sum())}
    delta_path = os.path.join(a.out, a.update_dir, "delta.pt")
    if os.path.exists(delta_path):  # every row's delta, fp32: what the budget cut costs
        full = LoraAdapter(stale, rank=header["rank"], item_bias="item_bias" in tensors, item_rows=True)
        ad, _ = load_update(stale, header, {**lora, **bias}, base_items)
        full.load_state_dict({**ad.state_dict(), "item_delta": torch.load(delta_path)["item_delta"]}, strict=True)
        out["all_rows_fp32"] = evaluate_with_adapter(stale, test, full.eval(), frozen_table(stale))["exclude_history"]["NDCG@10"]
    return out


def run_report(a: argparse.Namespace) -> dict:
    from . import lsim
    from .adapter import evaluate_with_adapter, load_adapter_tensors, read_lsad

    ds = data_mod.load(a.dataset, a.max_users)
    test = ds.tests["test"]
    stale, _ = train_mod.load_checkpoint(arm_paths(a.out, "stale"), ds)
    retrain, _ = train_mod.load_checkpoint(arm_paths(a.out, "retrain"), ds)
    header, tensors = read_lsad(os.path.join(a.out, a.adapter_dir, "adapter.lsad"))  # what ships is what is measured
    adapter = load_adapter_tensors(stale, tensors)
    arms = {"stale": (stale, None, None), "adapter": (stale, adapter, None), "retrain": (retrain, None, None)}
    update_path = os.path.join(a.out, a.update_dir, "update.lsad")
    base_items = None
    if os.path.exists(update_path):
        base_items = lsim.read(os.path.join(a.out, "stale", "artifacts", "items.lsim"))
        u_header, u_tensors = read_lsad(update_path)
        arms["update"] = (stale, *load_update(stale, u_header, u_tensors, base_items))
    res: dict = {"dataset": ds.name, "users": len(test.targets), "later": a.later, "arms": {}}
    ranks = {}
    for name, (model, ad, table) in arms.items():
        t0 = time.time()
        res["arms"][name] = {"test": evaluate_with_adapter(model, test, ad, table),
                             "valid": evaluate_with_adapter(model, ds.valid, ad, table)}
        ranks[name] = _ranks(model, test, ad, table)
        for v in ("all", "exclude_history"):  # the paired ranks are the same numbers evaluate() reports
            assert abs(float(_ndcg10(ranks[name][v]).mean()) - res["arms"][name]["test"][v]["NDCG@10"]) < 1e-9
        res["arms"][name]["eval_s"] = round(time.time() - t0, 1)
    # adapter variants, for the write-up: LoRA only (bias dropped), bias only (LoRA dropped)
    if adapter.item_bias is not None:
        lora_only = load_adapter_tensors(stale, {k: v for k, v in tensors.items() if k != "item_bias"})
        bias_only = load_adapter_tensors(stale, {k: (np.zeros_like(v) if k.endswith(".B") else v)
                                                 for k, v in tensors.items()})
        res["ablation"] = {"lora_only": evaluate_with_adapter(stale, test, lora_only),
                           "bias_only": evaluate_with_adapter(stale, test, bias_only)}
    unseen = unseen_items(stale_dataset(ds, a.later))
    target_new = np.isin(np.asarray(test.targets), list(unseen))
    res["new_items"] = {"count": len(unseen), "test_targets": int(target_new.sum()),
                        "by_target": {name: {"new": float(_ndcg10(r["exclude_history"][target_new]).mean()),
                                             "known": float(_ndcg10(r["exclude_history"][~target_new]).mean())}
                                      for name, r in ranks.items()}}
    if "update" in arms:
        res["update_parts"] = update_parts(a, stale, test, u_header, u_tensors, base_items, unseen)
    rng = np.random.default_rng(0)
    res["recovered"] = recovered(ranks, "adapter", rng)
    if "update" in ranks:
        res["recovered_update"] = recovered(ranks, "update", rng)
    for name in ("stale", "retrain"):
        res["arms"][name]["train"] = json.load(open(os.path.join(a.out, name, "arm.json")))
        m = json.load(open(os.path.join(a.out, name, "metrics.json")))
        res["arms"][name]["train"].update({k: m["train"][k] for k in ("epochs", "best_epoch", "steps", "lr", "batch_size")})
        res["arms"][name]["train"]["pipeline_test_ndcg10"] = m["test"]["exclude_history"]["NDCG@10"]
    res["arms"]["adapter"]["train"] = json.load(open(os.path.join(a.out, a.adapter_dir, "adapter.json")))
    if "update" in res["arms"]:
        res["arms"]["update"]["train"] = json.load(open(os.path.join(a.out, a.update_dir, "update.json")))
    res["num_items"] = ds.num_items
    res["adapter_dir"] = a.adapter_dir
    # other adapter runs in the same folder (e.g. a learning-rate sweep): their validation score, for the record
    res["adapter_runs"] = {}
    for d in sorted(os.listdir(a.out)):
        j = os.path.join(a.out, d, "adapter.json")
        if os.path.exists(j):
            info = json.load(open(j))
            res["adapter_runs"][d] = {"lr": info["lr"], "context_weight": info.get("context_weight", 0.0),
                                      "best_valid_ndcg10": info["best_valid_ndcg10"]}
    res["adapter_header"] = {k: header[k] for k in ("adapterVersion", "baseModel", "rank")}
    res["adapter_header"]["tensors"] = len(header["tensors"])
    res["load_avg"] = os.getloadavg()
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(res, f, indent=2)
    return res


def _f(x: float, d: int = 4) -> str:
    return f"{x:.{d}f}"


def render(res: dict, a: argparse.Namespace) -> str:
    arms = res["arms"]
    st, rt, ad = arms["stale"]["train"], arms["retrain"]["train"], arms["adapter"]["train"]
    rec = res["recovered"]["exclude_history"]
    rec_all = res["recovered"]["all"]
    subset = f"first {a.max_users} users" if a.max_users else f"all {res['users']:,} users"
    lines = [
        BEGIN,
        "## Freshness: stale base vs base + LoRA adapter vs base + item-table update vs full retrain",
        "",
        f"Generated by `training/freshness.py` (`/usr/bin/python3 -m training.freshness report --out {a.out} "
        f"--adapter-dir {a.adapter_dir}" + (f" --update-dir {a.update_dir}" if "update" in arms else "")
        + f" --eval-md EVAL.md` after the `arm`, `adapter`" + (" and `update`" if "update" in arms else "")
        + f" stages; commands in "
        f"training/README.md, \"Adapters and freshness\") on "
        f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}. PyTorch, fp32, full ranking over all "
        f"{res['num_items']:,} items, training/evaluate.py's code (ties count against the target).",
        "",
        f"**Data.** Amazon Beauty, {subset}. No timestamps, so the \"newer data\" is the later part of each "
        f"sequence: of the training part seq[:-2], the last h = {res['later']} items of every user. "
        f"The **stale** base never saw them (trained on seq[:-{2 + res['later']}]; a 5-item user, 32 % of users, then has "
        f"one item: no training pair). The **adapter** trains on exactly those items (each predicted from everything "
        f"before it) with the stale base frozen"
        + (f", plus, as rehearsal, the earlier positions of the same windows at loss weight {ad['context_weight']:g} "
           f"(data the stale base already saw)" if ad.get("context_weight") else "")
        + f". The **retrain** is the same pipeline from scratch on all of seq[:-2]. "
        f"All three: model selection on validation seq[-2] given seq[:-2] (never trained on by any arm; "
        f"conservative: it also helps the stale arm), test = seq[-1] given seq[:-1], the same {res['users']:,} test "
        f"items; the test set is scored once per arm.",
        "",
        f"**Budgets** (CPU time / threads, train.py's `cpu` clock: equal to idle-machine wall time, not shrunk by "
        f"other jobs): stale and retrain **{st['budget_min']:g} CPU-minutes each** ({st['threads']} thread, "
        f"training/train.py with the Beauty preset: lr {st['lr']:g}, batch {st['batch_size']}, validation every 2 "
        f"epochs, patience 4); adapter **{ad['time_budget_min']:g} CPU-minutes** (rank {ad['rank']}, all "
        f"{len(ad['targets'])} projections (q/k/v/out, fc1/fc2 of both blocks){', + per-item score bias' if ad['item_bias'] else ''}, "
        f"Adam lr {ad['lr']:g}, batch 128, base dropout on, validation every epoch, patience 3; the best epoch by "
        f"validation is kept; stale base's own validation NDCG@10: {_f(arms['stale']['valid']['exclude_history']['NDCG@10'])}).",
        "",
        "| arm | trained on | training targets | CPU s | wall s | epochs (best) | HR@10 | **NDCG@10** | HR@10 (all) | NDCG@10 (all) | valid NDCG@10 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [("stale base", f"seq[:-{2 + res['later']}]", st["train_positions"], st["cpu_s"], st["wall_s"],
             f"{st['epochs']} ({st['best_epoch']})", arms["stale"]),
            ("**stale base + adapter**", f"+ the {res['later']} later items/user"
             + (f" (earlier positions at weight {ad['context_weight']:g})" if ad.get("context_weight") else ""),
             ad["train_targets"],
             ad["cpu_s"], ad["wall_s"], f"{ad['epochs']} ({ad['best_epoch']})", arms["adapter"]),
            ("full retrain", "seq[:-2]", rt["train_positions"], rt["cpu_s"], rt["wall_s"],
             f"{rt['epochs']} ({rt['best_epoch']})", arms["retrain"])]
    up = arms.get("update", {}).get("train")
    if up:
        rows.insert(2, ("**stale base + item-table update**", f"as the adapter, + {up['rows']:,} item rows",
                        up["train_targets"], up["cpu_s"], up["wall_s"], f"{up['epochs']} ({up['best_epoch']})",
                        arms["update"]))
    for name, data, pos, cpu, wall, ep, m in rows:
        t, v = m["test"], m["valid"]
        lines.append(f"| {name} | {data} | {pos:,} | {cpu:.0f} | {wall:.0f} | {ep} | {_f(t['exclude_history']['HR@10'])} | "
                     f"**{_f(t['exclude_history']['NDCG@10'])}** | {_f(t['all']['HR@10'])} | {_f(t['all']['NDCG@10'])} | "
                     f"{_f(v['exclude_history']['NDCG@10'])} |")
    verdict = "**met**" if rec["fraction"] >= 0.5 else "**missed**"
    if rec["gap"] <= 2 * rec["gap_se"]:
        verdict += " (the retrain − stale gap is within two standard errors: the fraction is not meaningful)"
    lines += [
        "",
        "HR/NDCG columns: history excluded from the ranking (the user's earlier items removed, never the target), "
        "as the S3-Rec/gSASRec anchors; \"(all)\" ranks every item.",
        "",
        f"- **Recovered fraction** (adapter − stale) / (retrain − stale), test NDCG@10, history excluded: "
        f"**{rec['fraction']:.2f}** (95 % paired bootstrap over users {rec['ci95'][0]:.2f} … {rec['ci95'][1]:.2f}); "
        f"goal ≥ 0.50: {verdict}. History not excluded: {rec_all['fraction']:.2f} "
        f"({rec_all['ci95'][0]:.2f} … {rec_all['ci95'][1]:.2f}).",
        f"- Gap retrain − stale: {_f(rec['gap'])} ± {_f(rec['gap_se'])} (paired standard error); adapter gain: "
        f"{_f(rec['gain'])} ± {_f(rec['gain_se'])}; retrain − adapter: {_f(rec['retrain_minus_adapter'])} ± "
        f"{_f(rec['retrain_minus_adapter_se'])}.",
    ]
    if "recovered_update" in res:
        ru, up = res["recovered_update"]["exclude_history"], arms["update"]["train"]
        parts, nw = res["update_parts"], res["new_items"]
        by = nw["by_target"]
        share = nw["test_targets"] / res["users"]
        lines += [
            f"- **Item-table update** (training/update.py, `python3 -m training.freshness update --out {a.out} "
            f"--update-dir {a.update_dir}`): recovered fraction **{ru['fraction']:.2f}** (95 % paired bootstrap "
            f"{ru['ci95'][0]:.2f} … {ru['ci95'][1]:.2f}); goal ≥ 0.50: {'**met**' if ru['fraction'] >= 0.5 else '**missed**'}. "
            f"History not excluded: {res['recovered_update']['all']['fraction']:.2f}. The file "
            f"`{up['file']}` is **{up['bytes']:,} bytes = {100 * up['bytes'] / up['model_folder_bytes']:.1f} %** of the stale "
            f"model folder's {up['model_folder_bytes']:,} bytes (manifest + every file it lists: what a browser downloads), "
            f"format 2 of docs/adapter-format.md: LoRA on all {len(up['targets'])} projections + item bias + "
            f"{up['rows']:,} replaced int8 rows, bound to the stale encoder `{up['baseModel'][:16]}…` and items.lsim "
            f"`{up['baseItems'][:16]}…`; evaluated as the engine applies it (the stale int8 matrix with the shipped rows "
            f"replaced, fp32 encoder + LoRA in PyTorch, bias added).",
            f"- Which rows ship ({up.get('row_choice', 'count')}): the {up['rows']:,} items that occur most among the later "
            f"items (ties: most occurrences in the training part), chosen before training; only they train, so the "
            f"update learns with exactly what ships. Same budget and settings as the adapter ({up['time_budget_min']:g} "
            f"CPU-minutes, rank {up['rank']}, lr {up['lr']:g}, rehearsal weight {up['context_weight']:g}).",
            f"- **Where the gap is** (test NDCG@10, history excluded; parts of the same file left out): stale "
            f"{_f(arms['stale']['test']['exclude_history']['NDCG@10'])}; + shipped rows only {_f(parts['rows_only'])}; "
            f"+ rows and bias {_f(parts['rows_and_bias'])}; the whole update {_f(arms['update']['test']['exclude_history']['NDCG@10'])} "
            f"(its rows in fp32 before the int8 cut: {_f(parts['all_rows_fp32'])}); bias only {_f(parts['bias_only'])}; "
            f"LoRA only {_f(parts['lora_only']) if parts['lora_only'] is not None else '–'}; only the rows of items the stale "
            f"base never saw ({parts['rows_shipped_new_items']} of the {nw['count']} such items ship) "
            f"{_f(parts['new_item_rows_only']) if parts['new_item_rows_only'] is not None else '–'}. So most of the gap is "
            f"**shifted item vectors** of known items; popularity (bias) adds a little, encoder weights (LoRA) nothing "
            f"measurable.",
            f"- **New items**: {nw['count']} items never occur in the stale base's data; {nw['test_targets']:,} test targets "
            f"({100 * share:.1f} %) are among them. NDCG@10 on those targets: stale {_f(by['stale']['new'])}, adapter "
            f"{_f(by['adapter']['new'])}, update {_f(by['update']['new'])}, retrain {_f(by['retrain']['new'])}; on the other "
            f"targets: stale {_f(by['stale']['known'])}, update {_f(by['update']['known'])}, retrain "
            f"{_f(by['retrain']['known'])}. The new-item targets account for about "
            f"{100 * share * (by['retrain']['new'] - by['stale']['new']) / rec['gap']:.0f} % of the stale → retrain gap.",
        ]
    if "ablation" in res:
        ab = res["ablation"]
        lines.append(f"- Where the adapter's gain comes from (same file, parts zeroed): LoRA only "
                     f"{_f(ab['lora_only']['exclude_history']['NDCG@10'])}, item bias only "
                     f"{_f(ab['bias_only']['exclude_history']['NDCG@10'])}, both "
                     f"{_f(arms['adapter']['test']['exclude_history']['NDCG@10'])} (stale "
                     f"{_f(arms['stale']['test']['exclude_history']['NDCG@10'])}).")
    runs = res.get("adapter_runs", {})
    if len(runs) > 1:
        lines.append("- Adapter settings chosen on validation (never test) among the runs in the output folder: "
                     + ", ".join(f"lr {r['lr']:g}, context weight {r.get('context_weight', 0.0):g}: "
                                 f"{_f(r['best_valid_ndcg10'])}" for r in runs.values())
                     + f" → `{res['adapter_dir']}`.")
    lines += [
        f"- The adapter measured is the exported file `{os.path.relpath(ad['file'], ROOT) if os.path.isabs(ad['file']) else ad['file']}` "
        f"({ad['bytes']:,} bytes, format of docs/adapter-format.md), parsed back; baseModel = sha256 of the stale "
        f"base's int8 encoder `{ad['baseModel'][:16]}…`. Evaluated in PyTorch (fp32 encoder + adapter, item bias added "
        f"to the scores); the exported graph with these LoRA inputs equals PyTorch (training/tests/test_adapter.py).",
        *[f"- {n}" for n in a.note],
        f"- Wall times are on a shared 2-core machine (load average ≈ {st['load_avg_end'][0]:.0f} at the end of the "
        f"base runs, {ad['load_avg_end'][0]:.0f} at the end of the adapter; stale and retrain ran side by side). "
        f"The budgets are CPU time, so the arms got the same compute whatever the load.",
        "- One seed per arm (seed 0); a different seed or budget moves the gap. Amazon Beauty has no timestamps, so the "
        "\"later\" items are each user's own latest ones, not a shared calendar period: this measures how much of a "
        "retrain on newer interactions an adapter over a frozen base recovers, not a seasonal shift.",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_eval_section(path: str, section: str) -> None:
    """Replace the text between the freshness markers (or append it); other parts of EVAL.md are left as they are."""
    write_section(path, section, BEGIN, END)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("stage", choices=["arm", "adapter", "update", "report", "all"])
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
    p.add_argument("--context-weight", type=float, default=1.0,
                   help="adapter: loss weight of the earlier positions of each window (0 = later items only; "
                        "1.0, as training.adapter: later-items-only adapters lowered validation)")
    p.add_argument("--adapter-dir", default="adapter", help="sub-folder of --out for the adapter run")
    p.add_argument("--update-dir", default="update", help="sub-folder of --out for the item-table update run")
    p.add_argument("--update-budget", type=float, default=0.10,
                   help="update: bytes of the file as a fraction of the stale model folder's (docs/adapter-format.md)")
    p.add_argument("--update-rows", choices=["count", "delta"], default="count",
                   help="update: which rows ship: the items seen most in the later data, chosen before training and "
                        "the only rows trained (count), or every row trained and the largest deltas kept (delta)")
    p.add_argument("--eval-md", default=None, help="write the freshness section of this EVAL.md")
    p.add_argument("--from-results", action="store_true", help="report: re-render from <out>/results.json")
    p.add_argument("--note", action="append", default=[], help="report: an extra bullet for EVAL.md")
    return p.parse_args(argv)


def main(argv=None) -> None:
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.stage == "arm":
        run_arm(a.name, a)
    elif a.stage == "adapter":
        run_adapter(a)
    elif a.stage == "update":
        run_update(a)
    elif a.stage == "report":
        if a.from_results:  # re-render EVAL.md from results.json without re-evaluating
            res = json.load(open(os.path.join(a.out, "results.json")))
        else:
            res = run_report(a)
        print(json.dumps({k: res[k] for k in ("recovered",)}, indent=2))
        if a.eval_md:
            write_eval_section(a.eval_md, render(res, a))
    elif a.stage == "all":
        base = [sys.executable, "-m", "training.freshness"]
        common = [x for x in (argv if argv is not None else sys.argv[1:]) if x != "all"]
        procs = [subprocess.Popen(base + ["arm", "--name", n] + common) for n in ("stale", "retrain")]
        if any(p.wait() for p in procs):
            raise SystemExit("an arm failed")
        for stage in ("adapter", "report"):
            subprocess.run(base + [stage] + common, check=True)


if __name__ == "__main__":
    main()
