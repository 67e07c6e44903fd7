"""Time one training epoch and say where it goes (issue 10).

    /usr/bin/python3 -m training.bench_epoch --dataset beauty           # ~1 min: 40 sampled steps, extrapolated
    /usr/bin/python3 -m training.bench_epoch --dataset ml1m --full      # a whole epoch, end to end
    /usr/bin/python3 -m training.bench_epoch --dataset beauty --profile # + torch.profiler's top operators

The model, optimizer and batches are train.py's (its preset for the data set, overridable with the same flags).
``--steps N`` runs the first N batches of a shuffled epoch (batches are shuffled, so they are a fair sample of the
epoch's lengths) and scales to the epoch's batch count; ``--full`` runs every batch. Then ``torch.profiler``
runs over ``--breakdown-steps`` more batches, and every operator's time goes to the part of the step it belongs to
(a forward op to the module it runs in, a backward op to the forward op that made its autograd node), scaled to the
measured step time: data (batching, collate), item tower, encoder (Linear + LayerNorm, attention, input and mask),
softmax head, optimizer, other.
"""
from __future__ import annotations

import argparse
import json
import time
from typing import Dict

import numpy as np
import torch

from . import data as data_mod
from .model import ModelConfig
from .train import PRESETS, build_model, collate, make_batches, make_examples


PARTS = ("data", "item tower", "encoder: input, mask, final LN", "encoder: attention", "encoder: linear + LN",
         "softmax", "optimizer", "other")


def breakdown(model, opt, examples, sample, mask_history: bool = False) -> Dict[str, float]:
    """Milliseconds per step by part, from torch.profiler over real training steps: a forward op counts for the
    region it runs in (module hooks open profiler ranges), a backward op for the forward op whose autograd node it
    runs (sequence number). ``attention`` = a block's own ops outside its Linear/LayerNorm submodules (scores,
    mask, softmax, dropout, ·v); ``softmax`` = what Recommender.forward runs outside the modules (the loss head)."""
    from torch.autograd.profiler import record_function
    from torch.profiler import ProfilerActivity, profile

    stack = []

    def hooks(mod, name):
        def enter(m, inp):
            r = record_function("part:" + name)
            r.__enter__()
            stack.append(r)

        def leave(m, inp, out):
            stack.pop().__exit__(None, None, None)
        return [mod.register_forward_pre_hook(enter), mod.register_forward_hook(leave)]

    handles = hooks(model.items, "item tower") + hooks(model.encoder, "encoder: input, mask, final LN")
    for blk in model.encoder.blocks:
        handles += hooks(blk, "encoder: attention")
        for m in (blk.q, blk.k, blk.v, blk.out, blk.ln1, blk.ln2, blk.fc1, blk.fc2):
            handles += hooks(m, "encoder: linear + LN")
    model.train()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for b in sample:
            inp, tgt = collate([examples[i] for i in b])
            loss, _ = model(inp, tgt, mask_history=mask_history)
            (loss / max(int((tgt > 0).sum()), 1)).backward()
            with record_function("part:optimizer"):
                opt.step()
                opt.zero_grad(set_to_none=True)
    for h in handles:
        h.remove()
    events = prof.events()

    def top(e):  # the outermost op above e (below any part range)
        while e.cpu_parent is not None and not e.cpu_parent.name.startswith("part:"):
            e = e.cpu_parent
        return e

    out = {k: 0.0 for k in PARTS if k != "data"}
    fwd_region = {}
    for e in events:
        if e.name.startswith("part:") or e.name.startswith("autograd::"):
            continue
        t = top(e)
        if t.name.startswith("autograd::") or t.name.startswith("part:"):
            continue
        region = t.cpu_parent.name[5:] if t.cpu_parent is not None else "softmax"
        if e.sequence_nr >= 0:
            fwd_region.setdefault(e.sequence_nr, region)
        if t is e:
            out[region] += e.cpu_time_total / 1e3
    for e in events:
        if e.cpu_parent is None and e.name.startswith("autograd::engine::evaluate_function"):
            region = fwd_region.get(e.sequence_nr, "optimizer" if "AccumulateGrad" in e.name else "other")
            out[region] += e.cpu_time_total / 1e3
    return {k: v / len(sample) for k, v in out.items()}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True, choices=["beauty", "ml1m"])
    p.add_argument("--steps", type=int, default=40, help="sampled steps to time (0 or --full: the whole epoch)")
    p.add_argument("--full", action="store_true", help="time a whole epoch")
    p.add_argument("--breakdown-steps", type=int, default=8, help="batches profiled for the per-part breakdown")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--thread-mode", choices=["split", "plain"], default="split",
                   help="split: training.cpu.setup (as train.py); plain: torch.set_num_threads only, no malloc tuning")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--profile", action="store_true", help="also print torch.profiler's top operators (10 steps)")
    p.add_argument("--json", help="write the result here as JSON")
    for k in ("max_len", "dim", "blocks", "heads", "ffn_dim", "batch_size"):
        p.add_argument("--" + k.replace("_", "-"), type=int)
    p.add_argument("--dropout", type=float)
    p.add_argument("--lr", type=float)
    p.add_argument("--text-dim", type=int, default=32)
    p.add_argument("--no-text", action="store_true")
    p.add_argument("--rel-pos", action="store_true", help="the attention bias by distance (the store recipe's default)")
    p.add_argument("--mask-history", action="store_true", help="seen items out of the softmax (the store recipe on "
                   "ML-1M)")
    args = p.parse_args(argv)
    for k, v in PRESETS[args.dataset].items():
        if getattr(args, k, None) is None:
            setattr(args, k, v)
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    threads = {"torch_threads": args.threads, "blas": "?"}
    try:
        from .cpu import setup as cpu_setup
    except ImportError:  # an older checkout (the "before" measurement)
        cpu_setup = None
    if args.thread_mode == "split" and cpu_setup is not None:
        threads = cpu_setup(args.threads)
    else:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    t_load = time.perf_counter()
    ds = data_mod.load(args.dataset)
    cfg = ModelConfig(num_items=ds.num_items, dim=args.dim, max_len=args.max_len, blocks=args.blocks,
                      heads=args.heads, ffn_dim=args.ffn_dim, dropout=args.dropout, text_dim=args.text_dim,
                      use_text=not args.no_text, rel_pos=args.rel_pos)
    model = build_model(ds, cfg)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=args.lr, betas=(0.9, 0.98), foreach=True)
    examples = make_examples(ds.train, cfg.max_len)
    lengths = np.array([len(e) for e in examples])
    load_s = time.perf_counter() - t_load

    t = time.perf_counter()
    batches = make_batches(lengths, args.batch_size, rng)
    batching_s = time.perf_counter() - t
    n_batches = len(batches)
    run = batches if (args.full or not args.steps) else batches[:args.steps]

    # ---- end to end: exactly train.py's step -------------------------------------------------------------
    model.train()
    collate_s = 0.0
    positions = 0
    tot = 0.0
    t0 = time.perf_counter()
    c0 = time.process_time()
    for b in run:
        tc = time.perf_counter()
        inp, tgt = collate([examples[i] for i in b])
        collate_s += time.perf_counter() - tc
        n_global = int((tgt > 0).sum())
        loss, n = model(inp, tgt, mask_history=args.mask_history)
        (loss / max(n_global, 1)).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        tot += float(loss)
        positions += n
    step_s = (time.perf_counter() - t0) / len(run)
    cpu_s = (time.process_time() - c0) / len(run)
    epoch_s = step_s * n_batches + batching_s

    # ---- breakdown: the same step under torch.profiler; forward ops by region, backward ops by their forward op ----
    sample = batches[len(run):len(run) + args.breakdown_steps] or batches[:args.breakdown_steps]
    parts = breakdown(model, opt, examples, sample, args.mask_history)
    data_ms = (collate_s / len(run) + batching_s / n_batches) * 1e3
    scale = (step_s * 1e3 - data_ms) / max(sum(parts.values()), 1e-9)  # profiler overhead: scale to the real step
    parts = {k: v * scale for k, v in parts.items()}
    parts["data"] = data_ms
    parts = {k: v / 1e3 for k, v in parts.items()}

    result = {
        "dataset": ds.name, "config": cfg.to_dict(), "batch_size": args.batch_size, "threads": args.threads,
        "examples": len(examples), "batches_per_epoch": n_batches, "timed_steps": len(run),
        "positions_per_step": positions / len(run), "loss": tot / max(positions, 1),
        "step_ms": round(step_s * 1e3, 1), "cpu_ms_per_step": round(cpu_s * 1e3, 1),
        "epoch_s": round(epoch_s, 1), "epoch_cpu_s": round(cpu_s * n_batches, 1), "load_s": round(load_s, 1),
        "breakdown_ms": {k: round(v * 1e3, 1) for k, v in parts.items()},
        "torch": torch.__version__, "thread_setup": threads,
    }
    print(f"{ds.name}: {n_batches} batches/epoch of {args.batch_size}, max_len {cfg.max_len}, d {cfg.dim}, "
          f"{cfg.blocks} blocks, {ds.num_items} items, ~{positions / len(run):.0f} target positions/step")
    print(f"  step {step_s * 1e3:.1f} ms (CPU {cpu_s * 1e3:.1f} ms; {args.threads} cores: {threads}) over {len(run)} steps "
          f"-> epoch {epoch_s:.1f} s{' (measured)' if len(run) == n_batches else ' (extrapolated)'}")
    for k in PARTS:
        v = parts[k]
        print(f"  {k:<31} {v * 1e3:8.1f} ms  {100 * v / step_s:5.1f} %")

    if args.profile:
        from torch.profiler import ProfilerActivity, profile
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for b in batches[:10]:
                inp, tgt = collate([examples[i] for i in b])
                loss, _ = model(inp, tgt)
                (loss / max(int((tgt > 0).sum()), 1)).backward()
                opt.step()
                opt.zero_grad(set_to_none=True)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
