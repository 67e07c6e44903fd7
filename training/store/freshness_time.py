"""Freshness on a time split: a base trained on the log up to T1, the same base plus an update trained on the
events of [T1, T2) (``localshelf-train update``), and a retrain on everything before T2, all scored on what
shoppers did next, after T2.

    /usr/bin/python3 -m training.store.freshness_time --out training/out/freshness-time [--eval-md EVAL.md]

The log (default: the synthetic store, ``training.store.synth --launches 0.08``: 8 % of the products launch
during the log) is cut at two time quantiles (``--t1 0.8 --t2 0.9`` of the event times). Products whose first
event is at or after T1 are **new**: not in the base's catalog, in the update's and the retrain's. Base and retrain
run the store command with its defaults and the same CPU budget, side by side; the update runs the update command
with its defaults. Test: every shopper with history before T2 and a step after it; the target is the first step
after T2, the history everything before T2 (last max_len steps, their event types fed), full ranking over each
model's own catalog (a product not in it is a miss), history excluded, int8 item rows as the browser ranks them
(fp32 encoder in PyTorch). Recovered fraction = (update - base) / (retrain - base) on test NDCG@10, paired
bootstrap over shoppers.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from typing import Dict, List, Optional

import numpy as np
import torch

from .. import data as data_mod
from .. import lsim
from ..adapter import load_adapter_tensors, read_lsad
from ..sections import write_section
from ..train import load_checkpoint
from ..update import apply_update
from .events import parse_timestamp

BEGIN, END = "<!-- freshness-time:begin -->", "<!-- freshness-time:end -->"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="training/out/freshness-time")
    p.add_argument("--events", help="a log with timestamps (default: a synthetic store generated into --out)")
    p.add_argument("--catalog")
    p.add_argument("--users", type=int, default=30000, help="synthetic store: shoppers")
    p.add_argument("--items", type=int, default=3000, help="synthetic store: products")
    p.add_argument("--launches", type=float, default=0.08, help="synthetic store: fraction launched during the log")
    p.add_argument("--t1", type=float, default=0.8, help="quantile of event times where the base's data ends")
    p.add_argument("--t2", type=float, default=0.9, help="quantile where the update's data ends and the test begins")
    p.add_argument("--budget-min", type=float, default=4.0, help="base and retrain: CPU minutes each")
    p.add_argument("--update-min", type=float, default=2.0, help="update: wall minutes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--stage", choices=["all", "report"], default="all")
    p.add_argument("--eval-md")
    p.add_argument("--note", action="append", default=[], help="an extra bullet for EVAL.md")
    return p.parse_args(argv)


def _read(path: str) -> List[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write(path: str, rows: List[dict], fields) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(fields), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def cut(a: argparse.Namespace) -> dict:
    """Writes base / update / retrain inputs and the test set into ``--out``."""
    d = os.path.join(a.out, "data")
    os.makedirs(d, exist_ok=True)
    if not a.events:
        from .synth import generate
        g = generate(os.path.join(a.out, "log"), a.users, a.items, a.seed, launches=a.launches)
        a.events, a.catalog = g["events"], g["catalog"]
    events = _read(a.events)
    for e in events:
        e["_t"] = parse_timestamp(e["timestamp"])
    events.sort(key=lambda e: e["_t"])
    times = np.array([e["_t"] for e in events])
    t1, t2 = (int(np.quantile(times, q)) for q in (a.t1, a.t2))
    first: Dict[str, int] = {}
    for e in events:
        first.setdefault(e["item_id"], e["_t"])
    new = {i for i, t in first.items() if t >= t1}
    catalog = _read(a.catalog)
    fields = [k for k in events[0] if k != "_t"]
    strip = lambda rs: [{k: v for k, v in r.items() if k != "_t"} for r in rs]
    before1 = [e for e in events if e["_t"] < t1]
    between = [e for e in events if t1 <= e["_t"] < t2]
    _write(os.path.join(d, "base-events.csv"), strip(before1), fields)
    _write(os.path.join(d, "update-events.csv"), strip(between), fields)
    _write(os.path.join(d, "retrain-events.csv"), strip(before1 + between), fields)
    _write(os.path.join(d, "base-catalog.csv"), [c for c in catalog if c["item_id"] not in new], catalog[0].keys())
    _write(os.path.join(d, "catalog.csv"), catalog, catalog[0].keys())
    # test: the first step after T2 of every shopper with history before it (consecutive repeats are one step)
    hist: Dict[str, List[tuple]] = {}
    test = {}
    for e in events:
        u = e["user_id"]
        h = hist.setdefault(u, [])
        if e["_t"] < t2:
            if h and h[-1][0] == e["item_id"]:
                h[-1] = (e["item_id"], max(h[-1][1], e["event_type"], key=TYPES.index))
            else:
                h.append((e["item_id"], e["event_type"]))
        elif u not in test and h and e["item_id"] != h[-1][0]:
            test[u] = e["item_id"]
    rows = [{"user": u, "target": t, "history": [i for i, _ in hist[u]], "types": [ty for _, ty in hist[u]]}
            for u, t in test.items()]
    info = {"t1": t1, "t2": t2, "events": len(events), "base_events": len(before1), "update_events": len(between),
            "new_products": len(new), "catalog": len(catalog), "test_users": len(rows),
            "test_targets_new": int(sum(r["target"] in new for r in rows)), "source": a.events}
    with open(os.path.join(d, "test.json"), "w") as f:
        json.dump({"info": info, "rows": rows, "new": sorted(new)}, f)
    return info


TYPES = ["view", "click", "add_to_cart", "purchase"]


def train_all(a: argparse.Namespace) -> None:
    d = os.path.join(a.out, "data")
    py = [sys.executable, "-m", "training.store"]
    common = ["--time-budget-min", str(a.budget_min), "--budget-clock", "cpu", "--threads", "1", "--seed", str(a.seed),
              "--skip-onnx-eval", "--quiet"]
    procs = [subprocess.Popen(py + ["--events", os.path.join(d, f"{n}-events.csv"), "--catalog",
                                    os.path.join(d, "base-catalog.csv" if n == "base" else "catalog.csv"),
                                    "--out", os.path.join(a.out, n), "--name", n] + common,
                              stdout=open(os.path.join(a.out, f"{n}.log"), "w"), stderr=subprocess.STDOUT)
             for n in ("base", "retrain")]
    if any(p.wait() for p in procs):
        raise SystemExit(f"a store run failed: see {a.out}/base.log, {a.out}/retrain.log")
    subprocess.run([sys.executable, "-m", "training.store.update", "--base", os.path.join(a.out, "base"),
                    "--events", os.path.join(d, "update-events.csv"), "--catalog", os.path.join(d, "catalog.csv"),
                    "--version", "1", "--out", os.path.join(a.out, "update.lsad"), "--time-budget-min",
                    str(a.update_min), "--threads", "2", "--seed", str(a.seed)],
                   check=True, stdout=open(os.path.join(a.out, "update.log"), "w"), stderr=subprocess.STDOUT)


def _model(folder: str):
    metrics = json.load(open(os.path.join(folder, "metrics.json")))
    ds = data_mod.load("store:" + os.path.join(metrics["work"], "data"))
    model, _ = load_checkpoint(os.path.join(metrics["work"], "model.pt"), ds)
    return model, list(ds.item_ids)


@torch.no_grad()
def _ranks(model, table: np.ndarray, ids: List[str], rows: List[dict], lora=None, bias=None,
           removed: Optional[np.ndarray] = None) -> np.ndarray:
    """0-based rank of each target over the model's catalog (history excluded), ``inf`` when it is not in it."""
    from ..evaluate import left_pad
    model.eval()
    index = {iid: r + 1 for r, iid in enumerate(ids)}
    t = torch.cat([torch.zeros(1, table.shape[1]), torch.from_numpy(table)])
    out = np.full(len(rows), np.inf)
    L = model.cfg.max_len
    for s in range(0, len(rows), 512):
        chunk = rows[s:s + 512]
        hist = [[index[i] for i in r["history"] if i in index][-L:] for r in chunk]
        types = [[TYPES.index(ty) + 1 for i, ty in zip(r["history"], r["types"]) if i in index][-L:] for r in chunk]
        keep = [k for k, h in enumerate(hist) if h]
        if not keep:
            continue
        seqs = left_pad([hist[k] for k in keep], L)
        typ = left_pad([types[k] for k in keep], L)
        u = model.encoder(t[seqs], typ, lora)[:, -1]
        scores = u @ t[1:].t()
        if bias is not None:
            scores = scores + torch.from_numpy(bias)
        if removed is not None:
            scores[:, torch.from_numpy(removed)] = -np.inf
        for j, k in enumerate(keep):
            r = chunk[k]
            row = index.get(r["target"])
            if row is None:
                continue
            sc = scores[j].clone()
            for h in set(hist[k]):
                if h != row:
                    sc[h - 1] = -np.inf
            out[s + k] = float((sc > sc[row - 1]).sum())
    return out


def _ndcg(r: np.ndarray) -> np.ndarray:
    return np.where(r < 10, 1.0 / np.log2(np.minimum(r, 1e9) + 2.0), 0.0)


def report(a: argparse.Namespace) -> dict:
    test = json.load(open(os.path.join(a.out, "data", "test.json")))
    rows, info, new = test["rows"], test["info"], set(test["new"])
    res = {"info": info, "arms": {}}
    base, base_ids = _model(os.path.join(a.out, "base"))
    retrain, retrain_ids = _model(os.path.join(a.out, "retrain"))
    base_rows = lsim.read(os.path.join(a.out, "base", "items.lsim"))
    header, tensors = read_lsad(os.path.join(a.out, "update.lsad"))
    table, bias, removed = apply_update(base_rows, header, tensors)
    ad = load_adapter_tensors(base, {k: v for k, v in tensors.items() if k.startswith("lora.")}, rank=header["rank"])
    upd_ids = base_ids + [e["id"] for e in header.get("newItems", [])]
    ranks = {
        "base": _ranks(base, base_rows, base_ids, rows),
        "update": _ranks(base, table, upd_ids, rows, ad.lora(), bias, np.flatnonzero(removed)),
        "retrain": _ranks(retrain, lsim.read(os.path.join(a.out, "retrain", "items.lsim")), retrain_ids, rows),
    }
    is_new = np.array([r["target"] in new for r in rows])
    for name, r in ranks.items():
        g = _ndcg(r)
        res["arms"][name] = {"NDCG@10": float(g.mean()), "HR@10": float((r < 10).mean()),
                             "new_target_NDCG@10": float(g[is_new].mean()) if is_new.any() else None,
                             "known_target_NDCG@10": float(g[~is_new].mean())}
    s, u, rt = (_ndcg(ranks[k]) for k in ("base", "update", "retrain"))
    rng = np.random.default_rng(0)
    boot = []
    for _ in range(1000):
        idx = rng.integers(0, len(s), len(s))
        gap = (rt[idx] - s[idx]).mean()
        boot.append((u[idx] - s[idx]).mean() / gap if gap != 0 else np.nan)
    gap = (rt - s).mean()
    res["recovered"] = {"fraction": float((u - s).mean() / gap) if gap else float("nan"),
                        "ci95": [float(x) for x in np.nanpercentile(boot, [2.5, 97.5])], "gap": float(gap),
                        "gap_se": float((rt - s).std(ddof=1) / np.sqrt(len(s))),
                        "gain": float((u - s).mean()), "gain_se": float((u - s).std(ddof=1) / np.sqrt(len(s)))}
    upd = json.load(open(os.path.join(a.out, "update.lsad.json")))
    res["update"] = {k: upd[k] for k in ("bytes", "base_folder_bytes", "fraction", "rows_replaced", "new_items",
                                         "removed", "wall_s", "epochs", "best_epoch")}
    for n in ("base", "retrain"):
        m = json.load(open(os.path.join(a.out, n, "metrics.json")))
        res["arms"][n]["train_s"] = m["train"].get("train_seconds", m["train"].get("seconds"))
        res["arms"][n]["epochs"] = m["train"].get("epochs")
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(res, f, indent=2)
    return res


def render(res: dict, a: argparse.Namespace) -> str:
    i, arms, rec, u = res["info"], res["arms"], res["recovered"], res["update"]
    day = lambda t: time.strftime("%Y-%m-%d", time.gmtime(t / 1000 if t > 1e11 else t))
    f = lambda x: "–" if x is None else f"{x:.4f}"
    lines = [BEGIN, "## Freshness on a time split: base, base + update through the channel, retrain", "",
             f"Generated by `python3 -m training.store.freshness_time --out {a.out} --eval-md EVAL.md` on "
             f"{time.strftime('%Y-%m-%d', time.gmtime())} (docstring of training/store/freshness_time.py for the protocol). "
             f"Log: the synthetic store (`training.store.synth --users {a.users} --items {a.items} --launches {a.launches:g} "
             f"--seed {a.seed}`; no public log here has timestamps: Amazon Beauty and the ML-1M files in ../shared have "
             f"none), {i['events']:,} events; T1 = {day(i['t1'])} (quantile {a.t1:g}), T2 = {day(i['t2'])} (quantile {a.t2:g}). "
             f"Base: {i['base_events']:,} events before T1, {i['catalog'] - i['new_products']:,} products; update: "
             f"{i['update_events']:,} events in [T1, T2) and the {i['new_products']:,} products first seen in that "
             f"window; test: {i['test_users']:,} shoppers' first step after T2 ({i['test_targets_new']:,} of them on a "
             f"new product). Base and retrain: the store command's defaults, {a.budget_min:g} CPU-minutes each; "
             f"update: the update command's defaults, {a.update_min:g} wall minutes.", "",
             "| model | NDCG@10 | HR@10 | NDCG@10, target a new product | NDCG@10, target a known product |",
             "|---|---:|---:|---:|---:|"]
    for name, label in (("base", "base (data up to T1)"), ("update", "**base + update**"), ("retrain", "retrain (data up to T2)")):
        m = arms[name]
        lines.append(f"| {label} | {f(m['NDCG@10'])} | {f(m['HR@10'])} | {f(m['new_target_NDCG@10'])} | {f(m['known_target_NDCG@10'])} |")
    verdict = "**met**" if rec["fraction"] >= 0.5 else "**missed**"
    if rec["gap"] <= 2 * rec["gap_se"]:
        verdict = ("**not measurable here**: the retrain − base gap is within two standard errors of zero, so the "
                   "fraction means nothing on this log")
    lines += ["",
              f"- **Recovered fraction** (update − base) / (retrain − base): **{rec['fraction']:.2f}** (95 % paired "
              f"bootstrap {rec['ci95'][0]:.2f} … {rec['ci95'][1]:.2f}; gap {rec['gap']:.4f} ± {rec['gap_se']:.4f}); "
              f"goal ≥ 0.50: {verdict}.",
              f"- The update file: **{u['bytes']:,} bytes = {100 * u['fraction']:.1f} %** of the base folder's "
              f"{u['base_folder_bytes']:,} bytes; {u['rows_replaced']:,} rows replaced, {u['new_items']:,} new products, "
              f"{u['removed']:,} removed; trained in {u['wall_s']:.0f} s ({u['epochs']} epochs, best {u['best_epoch']}; "
              f"the base trained {arms['base']['epochs']} epochs and the retrain {arms['retrain']['epochs']} in their budgets).",
              "- One seed, one synthetic log: its shoppers' tastes do not drift, so what the update can add is the new "
              "products and more data about the known ones.",
              f"- Update vs base: {rec['gain']:+.4f} ± {rec['gain_se']:.4f} NDCG@10 (paired standard error); on the "
              f"{i['test_targets_new']} targets that are new products: base {f(arms['base']['new_target_NDCG@10'])} (it "
              f"cannot show them), update {f(arms['update']['new_target_NDCG@10'])}, retrain "
              f"{f(arms['retrain']['new_target_NDCG@10'])}.",
              *[f"- {n}" for n in a.note],
              END]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    a = parse_args(argv)
    torch.set_num_threads(2)
    if a.stage == "all":
        print(json.dumps(cut(a)), flush=True)
        train_all(a)
    res = report(a)
    print(json.dumps({k: res[k] for k in ("arms", "recovered", "update")}, indent=2))
    if a.eval_md:
        write_section(a.eval_md, render(res, a), BEGIN, END)


if __name__ == "__main__":
    main()
