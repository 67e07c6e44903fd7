"""Train on your own store, in one command (docs/own-data.md):

    /usr/bin/python3 -m training.store --events events.csv.gz --catalog catalog.csv --out public/models/my-store
    npx localshelf-train --events events.csv.gz --catalog catalog.csv --out public/models/my-store   # same thing
    torchrun --nproc_per_node 2 -m training.store ...                                               # DDP

Validates both files (bad rows: file:line:reason, skipped and counted; ``--strict`` stops at the first), splits
(leave-one-out, or ``--split time``), trains within ``--time-budget-min`` with the recipe derived from the data,
keeps the best validation checkpoint, exports the browser's model folder to ``--out`` (int8 encoder, item matrix,
catalog, text tower, manifest), scores its int8 encoder and two baselines on the test split and writes
``--out/report.md``. Work files (prepared log, checkpoint, training log) go to ``--work-dir`` (default
``<out>.work``), outside the folder you publish.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import sys
import time

import torch
import torch.distributed as dist

from .. import data as data_mod
from ..export import export_all
from .baselines import evaluate_baselines
from .catalog import DEFAULT_TEXT_FIELDS
from .dataset import PrepareOptions, prepare
from .errors import run_reporting_input_errors
from .events import parse_event_map
from ..train import eval_split
from .fit import FitOptions, fit, init_distributed, pick_device
from .memory import peak_rss_mib
from .progress import Progress
from .recipe import DEFAULT_TYPE_WEIGHTS, Recipe, with_overrides
from .report import write_report


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="localshelf-train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", required=True, help="events file: CSV or JSON Lines, gzip allowed")
    p.add_argument("--catalog", required=True, help="catalog file: CSV or JSON Lines, gzip allowed")
    p.add_argument("--out", required=True, help="model folder to write (what the browser loads)")
    p.add_argument("--work-dir", help="prepared data, checkpoint and logs (default: <out>.work)")
    p.add_argument("--split", choices=["loo", "time"], default="loo")
    p.add_argument("--strict", action="store_true", help="stop at the first bad row instead of skipping it")
    p.add_argument("--map-event", action="append", default=[], metavar="NAME=TYPE",
                   help="map another event name onto view/click/add_to_cart/purchase, or 'skip'; NAME '*' = any other")
    p.add_argument("--event-types", choices=["use", "ignore"], default="use",
                   help="ignore: treat every event as a view with weight 1 (the ablation)")
    p.add_argument("--type-weights", default=",".join(f"{w:g}" for w in DEFAULT_TYPE_WEIGHTS),
                   help="loss weight of a target step by type: view,click,add_to_cart,purchase")
    p.add_argument("--text-fields", default=",".join(DEFAULT_TEXT_FIELDS),
                   help="catalog fields joined into the text-tower input (title, brand, category, description)")
    p.add_argument("--time-budget-min", type=float, default=20.0, help="training time budget in minutes")
    p.add_argument("--budget-clock", choices=["wall", "cpu"], default="wall")
    p.add_argument("--epochs", type=int, help="a fixed number of epochs instead of the budget schedule")
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda")
    p.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-users", type=int, help="use only the first N users (smoke tests)")
    p.add_argument("--name", help="model name in the manifest (default: the --out folder's name)")
    p.add_argument("--attribution", default="Trained on the store's own interaction log.")
    p.add_argument("--no-redistribution", action="store_true",
                   help="the data's license forbids redistribution: the folder is for local evaluation only")
    p.add_argument("--skip-onnx-eval", action="store_true", help="do not score the int8 export (needs Node + npm ci)")
    p.add_argument("--validate-only", action="store_true", help="read and validate both files, print the counts, stop")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--recipe-set", action="append", default=[], metavar="KEY=VALUE",
                   help="experiments only: override one recipe setting (e.g. lr=4e-3); what ships is the default")
    a = p.parse_args(argv)
    a.out = a.out.rstrip("/") or a.out
    a.work_dir = a.work_dir or a.out + ".work"
    a.name = a.name or os.path.basename(os.path.abspath(a.out))
    try:
        a.event_map = parse_event_map(a.map_event)
        a.type_weights = [float(x) for x in a.type_weights.split(",")]
        if len(a.type_weights) != 4 or min(a.type_weights) < 0:
            raise ValueError("--type-weights needs 4 non-negative numbers")
    except ValueError as e:
        p.error(str(e))
    a.text_fields = [x.strip() for x in a.text_fields.split(",") if x.strip()]
    return a


def run(a: argparse.Namespace) -> dict:
    t_start = time.time()
    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    os.makedirs(a.work_dir, exist_ok=True)
    say = Progress(os.path.join(a.work_dir, "train_log.jsonl") if rank == 0 else None, a.quiet or rank > 0)
    data_dir = os.path.join(a.work_dir, "data")
    device = pick_device(a.device, int(os.environ.get("LOCAL_RANK", "0")))
    if world > 1:
        init_distributed(device)
    if rank == 0:
        say.stage("read", f"{a.events} + {a.catalog}")
        info = prepare(PrepareOptions(
            events=a.events, catalog=a.catalog, out=data_dir, split=a.split, strict=a.strict, event_map=a.event_map,
            ignore_types=a.event_types == "ignore", text_fields=a.text_fields, type_weights=a.type_weights,
            name=a.name, attribution=a.attribution, shippable=not a.no_redistribution, seed=a.seed))
        c = info["counts"]
        say.stage("read", f"{c['events_kept']:,} events kept of {c['event_rows']:,} rows "
                          f"({c['event_rows_skipped']:,} skipped), {c['steps']:,} steps, {c['users']:,} users, "
                          f"{c['catalog_items']:,} items ({c['cold_items']:,} cold); "
                          f"{info['timing']['events_per_s']:,} events/s, peak {info['peak_rss_mib']:,.0f} MiB")
        for r in info["problems"]["rows"]:
            say.stage("problems", f"{r['count']:,} x {r['code']} ({r['row']}), e.g. {r['examples'][0]}")
    if world > 1:
        dist.barrier()
    if a.validate_only:
        return {}
    mem_prepare = peak_rss_mib()
    ds = data_mod.load("store:" + data_dir, a.max_users)
    try:
        recipe = Recipe.from_dict(with_overrides(ds.extra["recipe"].to_dict(), a.recipe_set))
    except ValueError as e:
        raise SystemExit(str(e))
    ds.extra["recipe"] = recipe
    if rank == 0:
        shown = [k for k in ("max_len", "dim", "blocks", "dropout", "batch_size", "mask_history", "future_targets",
                             "attributes", "negatives", "id_dropout", "ema_epochs", "label_smoothing", "weight_decay",
                             "future_weight") if k in recipe.why]
        say.stage("recipe", ", ".join(f"{k} {getattr(recipe, k)} ({recipe.why[k]})" for k in shown))
    res = fit(ds, recipe, FitOptions(time_budget_min=a.time_budget_min, budget_clock=a.budget_clock, threads=a.threads,
                                     device=a.device, seed=a.seed, epochs=a.epochs), say)
    if world > 1:
        dist.destroy_process_group()
    if rank != 0:
        return {}
    return finish(a, ds, res, mem_prepare, t_start, say)


def finish(a, ds, res, mem_prepare: float, t_start: float, say: Progress) -> dict:
    model = res.pop("model")
    mem_train = peak_rss_mib()
    ckpt = os.path.join(a.work_dir, "model.pt")
    torch.save({"config": model.cfg.to_dict(), "state": model.state_dict(), "dataset": ds.source,
                "max_users": a.max_users, "cold_items": None, "cold_fraction": 0.0, "cold_seed": 0, "store": True}, ckpt)
    say.stage("evaluate", "PyTorch checkpoint on the test split")
    # validation: the best checkpoint's own evaluation during training (the same weights, not run again)
    pt = {"valid": res.pop("valid_metrics"), "test": eval_split(model, ds.tests["test"], use_types=res["typed"])}
    say.stage("export", f"int8 model folder -> {a.out}")
    files = export_all(ckpt, a.out, browser=True, ds=ds)
    m = {"name": a.name, "out": a.out, "work": a.work_dir, "num_items": ds.num_items, "pytorch": pt,
         "command": "python3 -m training.store " + " ".join(shlex.quote(x) for x in a.argv),
         "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
         "machine": f"{platform.machine()} x {os.cpu_count()} cores, Python {platform.python_version()}, "
                    f"torch {torch.__version__}", "args": {k: v for k, v in vars(a).items() if k != "argv"},
         "prepared": ds.extra["prepared"], "split_info": ds.extra["split_info"],
         "train": {k: v for k, v in res.items() if k != "log"}}
    if not a.skip_onnx_eval:
        say.stage("evaluate", "int8 export in onnxruntime-node (validation, test)")
        try:
            from ..eval_onnx import onnx_metrics
            m["onnx"] = onnx_metrics(a.out, ds)
        except (RuntimeError, OSError) as e:  # no Node or no onnxruntime-node: say so, keep the PyTorch figures
            m["onnx_note"] = (f"not measured: {str(e).splitlines()[0][:160]} (the int8 check runs the export in "
                              "onnxruntime-node: `npm i -D onnxruntime-node` in this project, or --skip-onnx-eval)")
    else:
        m["onnx_note"] = "not measured (--skip-onnx-eval)"
    say.stage("evaluate", "baselines (most popular, co-occurrence) on the test split")
    test = ds.tests["test"]
    m["baselines"] = evaluate_baselines(ds.train, ds.popularity(), test.histories, test.targets, test.target_types)
    m["memory"] = {"after_prepare_mib": mem_prepare, "after_train_mib": mem_train, "final_mib": peak_rss_mib(),
                   "children_mib": peak_rss_mib(children=True)}
    m["files"] = {f: os.path.getsize(os.path.join(a.out, f)) for f in files}
    m["total_seconds"] = round(time.time() - t_start, 1)
    with open(os.path.join(a.out, "metrics.json"), "w") as f:
        json.dump(m, f, indent=2, default=str)
    write_report(os.path.join(a.out, "report.md"), m)
    best = (m.get("onnx") or pt)["test"]["exclude_history"]
    say.stage("done", f"test NDCG@10 {best['NDCG@10']:.4f} HR@10 {best['HR@10']:.4f} "
                      f"(popular {m['baselines']['popular']['exclude_history']['NDCG@10']:.4f}, co-occurrence "
                      f"{m['baselines']['cooccur']['exclude_history']['NDCG@10']:.4f}); report: {a.out}/report.md")
    return m


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    a = parse_args(argv)
    a.argv = argv
    return run_reporting_input_errors("localshelf-train", lambda: run(a))
