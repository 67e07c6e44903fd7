"""Scale benchmark of the store command: read throughput and peak memory on a generated 10-million-event log.

    /usr/bin/python3 -m training.store.bench --events 10000000 --out training/out/bench-10m             # read only
    /usr/bin/python3 -m training.store.bench --events 10000000 --out training/out/bench-10m --train-min 5

1. Generates the log with ``synth.py`` (gzip CSV, ISO 8601 timestamps, four event types, 100,000 items) unless it
   is already there.
2. Runs ``python3 -m training.store --validate-only`` in a fresh process: stream-read and validate both files,
   group into sequences, derive the recipe, write the prepared folder. Reports events/s of the events file's read
   (from the command's own timing) and the process's peak RSS (``wait4`` rusage).
3. With ``--train-min M``, runs the whole command (train for M minutes, export, evaluate, report) the same way.
Writes ``bench.json`` beside the data and prints its BENCHMARKS.md section (``--benchmarks-md BENCHMARKS.md``
writes it between its markers, appending them once; the rest of the file is left as it is).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from . import synth

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _run(cmd) -> dict:
    t0 = time.time()
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT})
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {code}")
    return {"seconds": round(time.time() - t0, 1), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--events", type=int, default=10_000_000, help="approximate events to generate")
    p.add_argument("--items", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-min", type=float, default=0.0, help="also run the whole command with this budget")
    p.add_argument("--benchmarks-md", help="write the section into this file (between its markers), e.g. BENCHMARKS.md")
    a = p.parse_args(argv)
    data_dir = os.path.join(a.out, "data")
    ev, cat = os.path.join(data_dir, "events.csv.gz"), os.path.join(data_dir, "catalog.csv.gz")
    res: dict = {"events_requested": a.events, "items": a.items, "cpus": os.cpu_count(),
                 "load_avg_start": [round(x, 2) for x in os.getloadavg()]}
    if not (os.path.exists(ev) and os.path.exists(cat)):
        t0 = time.time()
        g = synth.generate(data_dir, max(1, round(a.events / 17.7)), a.items, a.seed, "csv", True)
        res["generate_s"] = round(time.time() - t0, 1)
        print(f"generated {g['event_rows']:,} events in {res['generate_s']} s", file=sys.stderr)
    res["events_file_bytes"] = os.path.getsize(ev)
    py = sys.executable
    base = [py, "-m", "training.store", "--events", ev, "--catalog", cat, "--out", os.path.join(a.out, "model"),
            "--work-dir", os.path.join(a.out, "work")]
    res["read"] = _run(base + ["--validate-only", "--quiet"])
    prep = json.load(open(os.path.join(a.out, "work", "data", "prepared.json")))
    res["read"].update(events=prep["counts"]["events_kept"], rows=prep["counts"]["event_rows"],
                       steps=prep["counts"]["steps"], users=prep["counts"]["users"], timing=prep["timing"],
                       recipe={k: prep["recipe"][k] for k in ("max_len", "dim", "dropout", "batch_size")})
    if a.train_min:
        res["full"] = _run(base + ["--time-budget-min", str(a.train_min), "--quiet"])
        m = json.load(open(os.path.join(a.out, "model", "metrics.json")))
        res["full"].update(train=m["train"], test=(m.get("onnx") or m["pytorch"])["test"]["exclude_history"],
                           popular=m["baselines"]["popular"]["exclude_history"],
                           cooccur=m["baselines"]["cooccur"]["exclude_history"], memory=m["memory"],
                           test_users=m["pytorch"]["test"]["users"])
    res["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    with open(os.path.join(a.out, "bench.json"), "w") as f:
        json.dump(res, f, indent=2)
    text = section(res, a)
    print(text)
    if a.benchmarks_md:
        from ..sections import write_section
        write_section(a.benchmarks_md, text, BEGIN, END)


BEGIN, END = "<!-- store-bench:begin -->", "<!-- store-bench:end -->"


def section(res: dict, a) -> str:
    r, t = res["read"], res["read"]["timing"]
    cmd = f"python3 -m training.store.bench --events {a.events} --items {a.items} --out {a.out}" + (
        f" --train-min {a.train_min:g}" if a.train_min else "")
    lines = [BEGIN, "## Store logs at scale (training pipeline)", "",
             f"Written by `{cmd}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {res['cpus']} CPUs, load "
             f"average {res['load_avg_start'][0]} at the start, {res['load_avg_end'][0]} at the end (other jobs "
             "shared the machine). A synthetic multi-behaviour log (training/store/synth.py: gzip CSV, ISO 8601 "
             f"timestamps, four event types, {a.items:,} items) through `python3 -m training.store`, each stage in a "
             "fresh process; peak memory is that process's peak RSS (`wait4`).", "",
             "| stage | data | time | throughput | peak RSS |", "|---|---|---:|---:|---:|",
             f"| read + validate + group (`--validate-only`) | {r['rows']:,} event rows "
             f"({res['events_file_bytes'] / 2**20:,.0f} MiB gzip), {r['users']:,} users -> {r['steps']:,} steps | "
             f"{r['seconds']} s (events file {t['events_s']} s) | **{t['events_per_s']:,} events/s** | "
             f"**{r['peak_rss_mib']:,.0f} MiB** |"]
    if "full" in res:
        f, tr = res["full"], res["full"]["train"]
        lines.append(f"| whole command: read, {a.train_min:g}-min training budget, export, int8 + baseline evaluation | "
                     f"{tr['steps']:,} training steps ({tr['epochs']} epoch(s) started), {f['test_users']:,} test users | "
                     f"{f['seconds']} s | - | {f['peak_rss_mib']:,.0f} MiB |")
        lines += ["", f"Test NDCG@10 after that budget (history excluded, int8): {f['test']['NDCG@10']:.4f} "
                  f"(most popular {f['popular']['NDCG@10']:.4f}, co-occurrence {f['cooccur']['NDCG@10']:.4f}): a "
                  "check that the whole path runs at this size, not a tuned result."]
    lines += ["", "Events are parsed row by row into `array` buffers (user, item, time, type: 17 bytes an event) and one "
              "dict entry per distinct user; sorting and grouping are NumPy on those arrays.", END]
    return "\n".join(lines) + "\n"

if __name__ == "__main__":
    main()
