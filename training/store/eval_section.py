"""Write EVAL.md's store sections from the runs' metrics.json / study.json (between ``<!-- store:begin -->`` and
``<!-- store:end -->``, appended when absent; the rest of EVAL.md is left as it is).

    /usr/bin/python3 -m training.store.eval_section --beauty training/out/store-beauty --ml1m training/out/store-ml1m \
        --study training/out/study-types [--study training/out/study-types-s1 …] --eval-md EVAL.md
"""
from __future__ import annotations

import argparse
import json
import os
from typing import List, Optional

from ..sections import write_section
from .progress import fmt_s
from .report import trained_recipe

BEGIN, END = "<!-- store:begin -->", "<!-- store:end -->"


def _m(x: Optional[dict], k: str = "NDCG@10", v: str = "exclude_history") -> str:
    return "–" if not x else f"{x[v][k]:.4f}"


def generic_rows(runs: List[tuple]) -> List[str]:
    out = ["| data | recipe (maxLen, dim, dropout, batch) | training | users | test NDCG@10 int8 | HR@10 int8 | "
           "NDCG@10 PyTorch | NDCG@10 (all) int8 | valid NDCG@10 int8 | most popular | co-occurrence |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label, m in runs:
        r, t = trained_recipe(m), m["train"]
        onnx = m.get("onnx") or {}
        # after a final phase that trained on the validation targets (recipe refit), only the state before it was
        # held out: that one's PyTorch figure
        valid = f"{_m(m['pytorch']['valid'])} (PyTorch, before the refit)" if t.get("refit") else _m(onnx.get("valid"))
        notes = (f", {r['blocks']} blocks" if r.get("blocks", 2) != 2 else "") + (
            ", seen items masked" if r.get("mask_history") else "")
        args = m.get("args") or {}
        clock = (f" ({args['time_budget_min']:g} min of CPU budget: `--budget-clock cpu`)"
                 if args.get("budget_clock") == "cpu" and args.get("time_budget_min") else "")
        out.append(
            f"| {label} | {r['max_len']}, {r['dim']}, {r['dropout']}, {r['batch_size']}{notes} | "
            f"{fmt_s(t['seconds'])} wall{clock}, "
            f"{t['epochs']} epochs (best {t['best_epoch']}), {t['stop_reason']} | {m['pytorch']['test']['users']:,} | "
            f"**{_m(onnx.get('test'))}** | {_m(onnx.get('test'), 'HR@10')} | {_m(m['pytorch']['test'])} | "
            f"{_m(onnx.get('test'), v='all')} | {valid} | {_m(m['baselines']['popular'])} | "
            f"{_m(m['baselines']['cooccur'])} |")
    return out


WHAT = {"types": "event types as input, every target weight 1 (the default)",
        "types-weighted": "event types as input + target weights 1/1/2/3 (`--type-weights 1,1,2,3`)",
        "ignore": "every event a view (`--event-types ignore`)"}


def _diff(c: dict) -> str:
    return f"{c['diff']:+.4f} [{c['ci95'][0]:+.4f}, {c['ci95'][1]:+.4f}]"


def study_rows(s: dict) -> List[str]:
    out = ["| arm | what | valid NDCG@10 (PyTorch, selection) | test NDCG@10 int8 | HR@10 int8 | training |",
           "|---|---|---:|---:|---:|---|"]
    for arm, a in s["arms"].items():
        t = a["test_int8"]
        out.append(f"| {arm} | {WHAT.get(arm, arm)} | {a['valid']:.4f} | {_m(t)} | {_m(t, 'HR@10')} | "
                   f"{a['train']['epochs']} epochs, {a['train']['cpu_seconds']:.0f} CPU-s |")
    base = next(iter(s["arms"].values()))["baselines"]
    out += [f"| – | most popular / co-occurrence baselines | | {base['popular']['NDCG@10']:.4f} / "
            f"{base['cooccur']['NDCG@10']:.4f} | {base['popular']['HR@10']:.4f} / {base['cooccur']['HR@10']:.4f} | |", "",
            f"Chosen on validation: **{s['chosen_on_validation']}**. Paired per-user NDCG@10 differences with ignoring "
            "the types (PyTorch checkpoints, history excluded; 95 % bootstrap interval over test users), overall, by "
            "the true type of the target, and by the type of the last step before it (where input types can matter):",
            "", "| comparison | group | users | NDCG@10 | difference [95 % CI] |", "|---|---|---:|---|---|"]
    for k, v in s.items():
        if k.endswith("_vs_ignore"):
            for g, c in v.items():
                out.append(f"| {k[:-10]} vs ignore | {g} | {c['users']:,} | {c['a']:.4f} vs {c['b']:.4f} | {_diff(c)} |")
    return out


def replication_rows(studies: List[dict]) -> List[str]:
    out = ["| log seed | events | types: valid / test int8 | ignore: valid / test int8 | paired test difference, all "
           "users [95 % CI] |", "|---:|---:|---|---|---|"]
    for s in studies:
        a, b, c = s["arms"]["types"], s["arms"]["ignore"], s["types_vs_ignore"]["all"]
        out.append(f"| {s['seed']} | {s['log']['event_rows']:,} | {a['valid']:.4f} / {_m(a['test_int8'])} | "
                   f"{b['valid']:.4f} / {_m(b['test_int8'])} | {_diff(c)} |")
    return out


def section(beauty: Optional[dict], ml1m: Optional[dict], studies: List[dict], notes: List[str]) -> str:
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
    if studies:
        study = studies[0]
        g = study["log"]
        lines += ["## Event types on a multi-behaviour log", "",
                  f"A synthetic store (`python3 -m training.store.synth`, seed {study['seed']}: {g['users']:,} shoppers, "
                  f"{g['items']:,} items, {g['event_rows']:,} events; behaviour in the module's docstring) through the "
                  f"same command, {study['budget_min']} CPU-minutes an arm "
                  "(`python3 -m training.store.study_types`). Leave-one-out; the target is each shopper's last step of "
                  "any type.", ""] + study_rows(study) + [""]
        if len(studies) > 1:
            lines += ["The main comparison again on other logs and initialisations (`--seed S --arms types,ignore`; "
                      "the run-to-run spread of one arm is part of what this shows):", ""] + replication_rows(studies) + [""]
    lines.append(END)
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--beauty")
    p.add_argument("--ml1m")
    p.add_argument("--study", action="append", default=[], help="a study_types --out folder (first: the main one)")
    p.add_argument("--note", action="append", default=[], help="a bullet under the generic-command table")
    p.add_argument("--eval-md", default="EVAL.md")
    a = p.parse_args(argv)
    load = lambda d, f="metrics.json": json.load(open(os.path.join(d, f))) if d else None  # noqa: E731
    studies = [load(d, "study.json") for d in a.study]
    write_section(a.eval_md, section(load(a.beauty), load(a.ml1m), studies, a.note), BEGIN, END)
    print(f"wrote the store sections of {a.eval_md}")


if __name__ == "__main__":
    main()
