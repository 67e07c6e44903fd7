"""``DIR/report.md``: what the store command read, dropped, trained and measured, from its metrics dictionary."""
from __future__ import annotations

import os
from typing import List, Optional

from .events import EVENT_TYPES
from .progress import fmt_s
from .recipe import with_overrides


def _row(name: str, m: Optional[dict], note: str = "") -> str:
    if not m:
        return f"| {name} | – | – | – | – | – | – | {note} |"
    x, a = m["exclude_history"], m["all"]
    return (f"| {name} | {m['users']:,} | {x['HR@10']:.4f} | {x['NDCG@10']:.4f} | {x['HR@20']:.4f} | {x['NDCG@20']:.4f}"
            f" | {a['HR@10']:.4f} / {a['NDCG@10']:.4f} | {note} |")


HEAD = ("| model | users | HR@10 | NDCG@10 | HR@20 | NDCG@20 | HR@10 / NDCG@10 (all) | note |\n"
        "|---|---:|---:|---:|---:|---:|---:|---|")


def _results(m: dict) -> List[str]:
    test, onnx, base = m["pytorch"]["test"], (m.get("onnx") or {}).get("test"), m["baselines"]
    out = [f"## Test: full ranking over all {m['num_items']:,} items", "",
           "Main columns exclude each user's earlier items from the ranking (never the target); *(all)* ranks every "
           "item. Ties count against the target.", "", HEAD,
           _row("**this model, int8 as exported** (onnxruntime-node)", onnx,
                m.get("onnx_note", "") if not onnx else "encoder.int8.onnx + items.lsim"),
           _row("this model, PyTorch fp32", test, "training checkpoint"),
           _row("most popular", base["popular"], "training popularity"),
           _row("item-to-item co-occurrence", base["cooccur"], "3 recent items, 3-step window"), ""]
    v, vo = m["pytorch"]["valid"], (m.get("onnx") or {}).get("valid")
    refit = m["train"].get("refit")
    if refit:  # the final phase trained on the validation targets: only the state before it was held out
        out += [f"Validation (model selection): the final phase (from epoch {refit['epoch']}) trained on these targets "
                "too (recipe `refit`), so only the best state before it was scored on held-out steps; the exported "
                "model's own figure is not a held-out one.", "", HEAD,
                _row("int8 as exported", vo, "trained on these targets"),
                _row("PyTorch fp32, best before the final phase", v, "held out"), ""]
    else:
        out += ["Validation (model selection):", "", HEAD, _row("int8 as exported", vo), _row("PyTorch fp32", v), ""]
    by = (onnx or test).get("by_target_type")
    if by:
        out += ["By event type of the test target (history excluded):", "",
                "| target type | users | model NDCG@10 | popular NDCG@10 | co-occurrence NDCG@10 |",
                "|---|---:|---:|---:|---:|"]
        for t in EVENT_TYPES:
            if t in by:
                pb = base["popular"].get("by_target_type", {}).get(t)
                cb = base["cooccur"].get("by_target_type", {}).get(t)
                f = lambda r: "–" if not r else f"{r['exclude_history']['NDCG@10']:.4f}"  # noqa: E731
                out.append(f"| {t} | {by[t]['users']:,} | {f(by[t])} | {f(pb)} | {f(cb)} |")
        out.append("")
    return out


def _data(m: dict) -> List[str]:
    c, sp = m["prepared"]["counts"], m["split_info"]
    spu = c["steps_per_user"]
    kinds = {"loo": "leave-one-out (last step = test, second-to-last = validation)",
             "time": "global temporal split (validation from the 80th percentile of step times, test from the 90th)"}
    rows = [
        ("event rows read", c["event_rows"]), ("event rows skipped (below)", c["event_rows_skipped"]),
        ("events dropped by --map-event ...=skip", c["events_dropped_by_map"]), ("events kept", c["events_kept"]),
        ("events merged into the previous step (same item, consecutive)", c["events_merged_into_steps"]),
        ("steps (model positions)", c["steps"]), ("users", c["users"]),
        ("users evaluated (test)", sp.get("test_users_total")), ("catalog items", c["catalog_items"]),
        ("items with events", c["items_with_events"]), ("cold items (no training step: text-only vectors)", c["cold_items"]),
        ("items without text (ID-only)", c["items_without_text"]),
        ("items with an image vector", c["items_with_image_vector"]),
        ("training steps older than the history cap (not trained on)", sp.get("steps_beyond_history_cap")),
    ]
    out = ["## Data", "", f"Split: {kinds.get(sp['kind'], sp['kind'])}. Timestamps: "
           f"{'yes' if c['has_timestamps'] else 'no (file order)'}.", "", "| | count |", "|---|---:|"]
    out += [f"| {k} | {v:,} |" for k, v in rows if v is not None]
    out += ["", "Steps by event type: " + ", ".join(f"{k} {v:,}" for k, v in c["steps_by_type"].items()) + ".",
            f"Steps per user: median {spu.get('p50', 0):.0f}, 80th percentile {spu.get('p80', 0):.0f}, "
            f"99th {spu.get('p99', 0):.0f}, max {spu.get('max', 0):,}; {spu.get('one_step', 0):,} users with one step, "
            f"{spu.get('two_steps', 0):,} with two (training only).", ""]
    if c.get("events_mapped"):
        out += ["Mapped by --map-event: " + ", ".join(f"{k} {v:,}" for k, v in c["events_mapped"].items()) + ".", ""]
    return out


def _problems(m: dict) -> List[str]:
    rows = m["prepared"]["problems"]["rows"]
    out = ["## Dropped and flagged rows", ""]
    if not rows:
        return out + ["None: every row was read.", ""]
    out += ["| file | reason | rows | row | first examples |", "|---|---|---:|---|---|"]
    for r in rows:
        ex = "<br>".join(f"`{e}`" for e in r["examples"][:3])
        out.append(f"| {os.path.basename(r['file'])} | {r['code']}: {r['meaning']} | {r['count']:,} | {r['row']} | {ex} |")
    return out + [""]


def trained_recipe(m: dict) -> dict:
    """The recipe a run trained with: the derived one (``prepared.recipe``) with the run's ``--recipe-set``
    experiments applied as the command applied them (``recipe.with_overrides``)."""
    return with_overrides(m["prepared"]["recipe"], (m.get("args") or {}).get("recipe_set"))


def _training(m: dict) -> List[str]:
    t, r = m["train"], trained_recipe(m)
    out = ["## Recipe (derived from the data; training/store/recipe.py)", "", "| setting | value | why |", "|---|---|---|"]
    for k in ("max_len", "dim", "blocks", "dropout", "batch_size", "mask_history"):
        if k in r and (k != "blocks" or "blocks" in r["why"]):  # (older runs: no mask_history; blocks were fixed)
            value, why = r[k], r["why"].get(k, "")
            if k == "batch_size" and t.get("batch_size", value) != value:  # chosen again for a sampled softmax
                value, why = t["batch_size"], f"{why}; {value} before the softmax rule sampled (below)"
            out.append(f"| {k} | {value} | {why} |")
    sm = t.get("softmax")
    if sm:  # (runs before the sampled softmax have no such key)
        value = "full (every item)" if not sm["negatives"] else f"sampled: {sm['negatives']:,} items a step + targets"
        out.append(f"| softmax | {value} | {sm['why']} |")
    fixed = "" if "blocks" in r["why"] else f"{r['blocks']} blocks, "
    out += [f"| fixed | {fixed}{r['heads']} head, lr {r['lr']}, text table {r['text_dim']} | same for all data |",
            f"| target weights | view {r['type_weights'][0]}, click {r['type_weights'][1]}, add_to_cart "
            f"{r['type_weights'][2]}, purchase {r['type_weights'][3]} | |", ""]
    tm = m["prepared"]["timing"]
    out += ["## Training and resources", "", "| | |", "|---|---|",
            f"| training time | {fmt_s(t['seconds'])} wall ({t['seconds']:.0f} s), {t['cpu_seconds']:.0f} CPU-s, budget "
            f"{m['args']['time_budget_min']} min ({m['args']['budget_clock']} clock) |",
            f"| epochs / steps | {t['epochs']} / {t['steps']:,}; best validation at epoch {t['best_epoch']}, step "
            f"{t['best_step']:,} |",
            f"| stopped | {t['stop_reason']}; learning-rate decay: {t['decay']['why'] or 'not reached'} |",
            *([f"| final phase (refit) | from epoch {t['refit']['epoch']}, {fmt_s(t['refit']['used_s'])} in: "
               f"{t['refit']['targets']:,} targets (the validation steps too), the state it ended in kept |"]
              if t.get("refit") else []),
            f"| device | {t['device']} x{t['world']} process(es), {m['args']['threads']} threads |",
            f"| event types as input | {'yes' if t['typed'] else 'no'} |",
            f"| read throughput | {tm['events_per_s']:,} events/s ({tm['events_s']} s for the events file) |",
            f"| peak memory | {m['memory']['after_prepare_mib']:,.0f} MiB after reading, "
            f"{m['memory']['after_train_mib']:,.0f} "
            f"MiB after training, {m['memory']['final_mib']:,.0f} MiB at the end (peak RSS of this process) |",
            f"| whole run | {fmt_s(m['total_seconds'])} |", ""]
    return out


def write_report(path: str, m: dict) -> None:
    lines = [f"# {m['name']}: training report", "",
             f"`{m['command']}`", "",
             f"Made {m['date']} on {m['machine']}. Model folder: `{m['out']}` (load it with "
             f"`createRecommender({{ model: '{m['out']}/manifest.json' }})`); work files (prepared log, checkpoint, "
             f"training log): `{m['work']}` (do not publish them).", ""]
    lines += _results(m) + _data(m) + _problems(m) + _training(m)
    files = m.get("files", {})
    if files:
        lines += ["## Files", "", "| file | bytes |", "|---|---:|"] + [f"| {k} | {v:,} |" for k, v in sorted(files.items())]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
