"""Write EVAL.md's store sections from the runs' metrics.json / study.json (between ``<!-- store:begin -->`` and
``<!-- store:end -->``, appended when absent; the rest of EVAL.md is left as it is).

    /usr/bin/python3 -m training.store.eval_section --beauty training/out/store-beauty --ml1m training/out/store-ml1m \
        --study training/out/study-types --eval-md EVAL.md
"""
from __future__ import annotations

import argparse
import json
import os
from typing import List, Optional

from ..sections import write_section
from .progress import fmt_s

BEGIN, END = "<!-- store:begin -->", "<!-- store:end -->"


def _m(x: Optional[dict], k: str = "NDCG@10", v: str = "exclude_history") -> str:
    return "–" if not x else f"{x[v][k]:.4f}"


def generic_rows(runs: List[tuple]) -> List[str]:
    out = ["| data | recipe (maxLen, dim, dropout, batch) | training | users | test NDCG@10 int8 | HR@10 int8 | "
           "NDCG@10 PyTorch | NDCG@10 (all) int8 | valid NDCG@10 int8 | most popular | co-occurrence |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label, m in runs:
        r, t = m["prepared"]["recipe"], m["train"]
        onnx = m.get("onnx") or {}
        out.append(
            f"| {label} | {r['max_len']}, {r['dim']}, {r['dropout']}, {r['batch_size']} | {fmt_s(t['seconds'])} wall, "
            f"{t['epochs']} epochs (best {t['best_epoch']}), {t['stop_reason']} | {m['pytorch']['test']['users']:,} | "
            f"**{_m(onnx.get('test'))}** | {_m(onnx.get('test'), 'HR@10')} | {_m(m['pytorch']['test'])} | "
            f"{_m(onnx.get('test'), v='all')} | {_m(onnx.get('valid'))} | {_m(m['baselines']['popular'])} | "
            f"{_m(m['baselines']['cooccur'])} |")
    return out


def study_rows(s: dict) -> List[str]:
    out = ["| arm | what | test NDCG@10 int8 | HR@10 int8 | training |", "|---|---|---:|---:|---|"]
    what = {"types": "event types as input + target weights (default)", "types-unweighted":
            "event types as input, all target weights 1", "ignore": "every event a view (`--event-types ignore`)"}
    for arm, a in s["arms"].items():
        t = a["test_int8"]
        out.append(f"| {arm} | {what.get(arm, arm)} | {_m(t)} | {_m(t, 'HR@10')} | {a['train']['epochs']} epochs, "
                   f"{a['train']['cpu_seconds']:.0f} CPU-s |")
    base = next(iter(s["arms"].values()))["baselines"]
    out += [f"| – | most popular / co-occurrence baselines | {base['popular']['NDCG@10']:.4f} / "
            f"{base['cooccur']['NDCG@10']:.4f} | {base['popular']['HR@10']:.4f} / {base['cooccur']['HR@10']:.4f} | |", "",
            "Paired per-user NDCG@10 differences (PyTorch checkpoints, history excluded; 95 % bootstrap interval over "
            "test users), overall and by the true event type of the target:", "",
            "| comparison | target | users | NDCG@10 | difference [95 % CI] |", "|---|---|---:|---|---|"]
    for k, v in s.items():
        if k.startswith("types_vs_"):
            for t, c in v.items():
                out.append(f"| types vs {k[9:]} | {t} | {c['users']:,} | {c['a']:.4f} vs {c['b']:.4f} | "
                           f"{c['diff']:+.4f} [{c['ci95'][0]:+.4f}, {c['ci95'][1]:+.4f}] |")
    return out


def section(beauty: Optional[dict], ml1m: Optional[dict], study: Optional[dict], notes: List[str]) -> str:
    lines = [BEGIN, "## Train on your own store: the generic command", "",
             "Hand-run, figures from each run's `metrics.json` (`python3 -m training.store.eval_section`). Both data "
             "sets converted to the store format (`python3 -m training.store.convert beauty|ml1m`) and trained by "
             "`python3 -m training.store --events … --catalog … --out …` with **its defaults**: the recipe derived "
             "from the data (training/store/recipe.py), 20-minute wall-clock budget, budget schedule. int8 = the "
             "exported `encoder.int8.onnx` + `items.lsim` scored by training/eval_onnx.py (onnxruntime-node); full "
             "ranking over every item; history excluded unless marked *(all)*.", ""]
    runs = [(n, m) for n, m in (("Amazon Beauty", beauty), ("MovieLens-1M (evaluation only)", ml1m)) if m]
    if runs:
        lines += generic_rows(runs) + [""]
    lines += [f"- {n}" for n in notes] + [""]
    if study:
        g = study["log"]
        lines += ["## Event types on a multi-behaviour log", "",
                  f"A synthetic store (`python3 -m training.store.synth`, seed 0: {g['users']:,} shoppers, "
                  f"{g['items']:,} items, {g['event_rows']:,} events; behaviour in the module's docstring) through the "
                  f"same command three ways, {study['budget_min']} CPU-minutes each "
                  "(`python3 -m training.store.study_types`). Leave-one-out; the target is each shopper's last step of "
                  "any type.", ""] + study_rows(study) + [""]
    lines.append(END)
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--beauty")
    p.add_argument("--ml1m")
    p.add_argument("--study")
    p.add_argument("--note", action="append", default=[], help="a bullet under the generic-command table")
    p.add_argument("--eval-md", default="EVAL.md")
    a = p.parse_args(argv)
    load = lambda d, f="metrics.json": json.load(open(os.path.join(d, f))) if d else None  # noqa: E731
    write_section(a.eval_md, section(load(a.beauty), load(a.ml1m), load(a.study, "study.json"), a.note), BEGIN, END)
    print(f"wrote the store sections of {a.eval_md}")


if __name__ == "__main__":
    main()
