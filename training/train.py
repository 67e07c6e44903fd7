"""Train the recommender: full-softmax cross-entropy over all items at every position (SASRec+ style).

    /usr/bin/python3 -m training.train --dataset beauty --out training/out/beauty
    torchrun --nproc_per_node 2 -m training.train --dataset beauty --out ...   # DDP (gloo), same global batch

Writes ``<out>/model.pt`` (best validation checkpoint), ``<out>/metrics.json`` (PyTorch-side validation and test
metrics) and ``<out>/train_log.jsonl``. Model selection uses validation only; the test set is scored once, at the
end, with the selected checkpoint.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.distributed as dist

from . import data as data_mod
from .evaluate import evaluate
from .model import ModelConfig, Recommender
from .cpu import setup as cpu_setup
from .tokenizer import WordPieceTokenizer

PRESETS: Dict[str, dict] = {
    "beauty": dict(max_len=50, dim=64, blocks=2, heads=1, ffn_dim=64, dropout=0.5, lr=2e-3, batch_size=128,
                   epochs=200, eval_every=2, patience=4, id_dropout=0.0, anneal_epochs=0),
    "ml1m": dict(max_len=200, dim=64, blocks=2, heads=1, ffn_dim=64, dropout=0.2, lr=2e-3, batch_size=64,
                 epochs=200, eval_every=1, patience=4, id_dropout=0.0, anneal_epochs=0),
}


# ------------------------------------------------------------------------------------------------ batching ---
def make_examples(train: Sequence[Sequence[int]], max_len: int) -> List[np.ndarray]:
    """Each training sequence cut into windows of max_len+1 items, from the end (no item is left out)."""
    out: List[np.ndarray] = []
    for s in train:
        s = np.asarray(s, dtype=np.int64)
        end = len(s)
        while end >= 2:
            start = max(0, end - max_len - 1)
            out.append(s[start:end])
            end = start + 1 if start > 0 else 0
    return out


def make_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> List[np.ndarray]:
    """Shuffled batches of similar lengths (less padding): sort within random chunks of 50 batches."""
    order = rng.permutation(len(lengths))
    batches: List[np.ndarray] = []
    chunk = batch_size * 50
    for c in range(0, len(order), chunk):
        idx = order[c:c + chunk]
        idx = idx[np.argsort(lengths[idx], kind="stable")]
        batches.extend(idx[b:b + batch_size] for b in range(0, len(idx), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def collate(examples: Sequence[np.ndarray]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Left-padded inputs s[:-1] and targets s[1:], trimmed to the longest example."""
    length = max(len(e) for e in examples) - 1
    inp = np.zeros((len(examples), length), dtype=np.int64)
    tgt = np.zeros((len(examples), length), dtype=np.int64)
    for i, e in enumerate(examples):
        n = len(e) - 1
        inp[i, length - n:] = e[:-1]
        tgt[i, length - n:] = e[1:]
    return torch.from_numpy(inp), torch.from_numpy(tgt)


# -------------------------------------------------------------------------------------------------- model ----
def build_model(ds: data_mod.Dataset, cfg: ModelConfig, tokenizer: Optional[WordPieceTokenizer] = None,
                attributes: Optional[bool] = None) -> Recommender:
    """``attributes``: give the item tower the catalog's attribute values (store data sets only); None = as the
    data set's recipe says."""
    tok = tokenizer or WordPieceTokenizer()
    token_ids = tok.encode_batch(ds.titles)
    model = Recommender(cfg, token_ids)
    if attributes is None:
        recipe = ds.extra.get("recipe")
        attributes = bool(recipe is not None and getattr(recipe, "attributes", 0))
    if attributes and ds.extra.get("catalog_attrs"):
        from .store.attributes import attach_attribute_features
        inputs = (ds.extra.get("prepared") or {}).get("inputs") or {}
        attach_attribute_features(model, ds.extra["catalog_attrs"], inputs.get("text_fields", ("title", "brand", "category")))
    if ds.extra.get("image_vectors") is not None:  # store catalogs with an image_vector column
        from .store.image import attach_image_features
        attach_image_features(model, ds.extra["image_vectors"])
    if ds.cold_items is not None:
        with torch.no_grad():
            model.items.id_mask[torch.as_tensor(ds.cold_items)] = 0
            model.items.id_emb[torch.as_tensor(ds.cold_items)] = 0
    return model


def load_checkpoint(path: str, ds: Optional[data_mod.Dataset] = None) -> Tuple[Recommender, dict]:
    ck = torch.load(path, map_location="cpu")
    if ds is None:
        ds = data_mod.load(ck["dataset"], ck.get("max_users"))
        if ck.get("cold_items") is not None:
            ds = data_mod.hold_out_cold_items(ds, ck["cold_fraction"], ck["cold_seed"])
    model = build_model(ds, ModelConfig(**ck["config"]),
                        attributes=any(k.startswith("items.attributes.") for k in ck["state"]))
    model.load_state_dict(ck["state"])
    model.eval()
    return model, ck


@torch.no_grad()
def eval_split(model: Recommender, split: data_mod.EvalSet, subsets=None, use_types: bool = False,
               device: Optional[torch.device] = None) -> dict:
    """Full-ranking metrics of ``split``; ``use_types`` feeds the split's history event types to the encoder (store
    logs with several types); ``device`` is where the model runs (CPU by default)."""
    model.eval()
    table = model.items()

    def users(seqs, types=None):
        if device is not None:
            seqs, types = seqs.to(device), None if types is None else types.to(device)
        return model.user_vectors(table, seqs, types).cpu()

    return evaluate(users, table.cpu(), split.histories, split.targets, model.cfg.max_len, subsets=subsets,
                    types=split.types if use_types else None)


# ------------------------------------------------------------------------------------------------- training ---
def train(args: argparse.Namespace) -> dict:
    cpu_setup(args.threads)  # one thread pool per core, freed memory kept for reuse (training/cpu.py)
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    rank, world = 0, 1
    if distributed:
        dist.init_process_group("gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    ds = data_mod.load(args.dataset, args.max_users)
    if args.cold_fraction > 0:
        ds = data_mod.hold_out_cold_items(ds, args.cold_fraction, args.cold_seed)
    cfg = ModelConfig(num_items=ds.num_items, dim=args.dim, max_len=args.max_len, blocks=args.blocks,
                      heads=args.heads, ffn_dim=args.ffn_dim, dropout=args.dropout, text_dim=args.text_dim,
                      use_text=not args.no_text, use_ids=not args.no_ids)
    model = build_model(ds, cfg)
    ddp_model = torch.nn.parallel.DistributedDataParallel(model) if distributed else None
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=args.lr, betas=(0.9, 0.98), weight_decay=args.weight_decay, foreach=True)

    item_allowed = None
    if ds.cold_items is not None:
        item_allowed = torch.ones(ds.num_items + 1, dtype=torch.bool)
        item_allowed[torch.as_tensor(ds.cold_items)] = False

    examples = make_examples(ds.train, cfg.max_len)
    lengths = np.array([len(e) for e in examples])
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "train_log.jsonl"), "a") if rank == 0 else None

    def say(rec: dict) -> None:
        if log is not None:
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(json.dumps(rec), flush=True)

    say({"event": "start", "dataset": ds.name, "examples": len(examples), "config": cfg.to_dict(),
         "args": vars(args), "world": world})
    best = (-1.0, None, 0)  # (val ndcg, state, epoch)
    t0 = time.time()
    c0 = time.process_time()
    step = 0
    bad = 0
    epoch = 0
    stop = False
    for epoch in range(1, args.epochs + 1):
        model.train()
        tot, cnt = 0.0, 0
        batches = make_batches(lengths, args.batch_size * world, rng)
        for b in batches:
            if args.anneal_epochs:  # cosine decay to 2% of lr over anneal_epochs (step-based: same on every rank)
                frac = min(1.0, step / (args.anneal_epochs * len(batches)))
                for gr in opt.param_groups:
                    gr["lr"] = args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
            exs = [examples[i] for i in b]
            inp, tgt = collate(exs)
            n_global = int((tgt > 0).sum())
            if distributed:  # each rank takes its slice of the global batch
                sl = slice(rank * len(exs) // world, (rank + 1) * len(exs) // world)
                inp, tgt = collate(exs[sl])
            id_keep = None
            if args.id_dropout > 0:
                id_keep = (torch.rand(ds.num_items + 1, 1) >= args.id_dropout).float()
            loss, n = (ddp_model or model)(inp, tgt, item_allowed, id_keep, args.mask_history)
            # DDP averages gradients over ranks: scale so the result is (global sum) / (global positions)
            (loss * world / max(n_global, 1)).backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            tot += float(loss)
            cnt += n
            step += 1
            if args.max_steps and step >= args.max_steps:
                stop = True
                break
        elapsed = time.time() - t0
        rec = {"event": "epoch", "epoch": epoch, "step": step, "loss": tot / max(cnt, 1), "elapsed_s": round(elapsed, 1),
               "cpu_s": round(time.process_time() - c0, 1)}
        # the budget is machine time: wall clock, or (default) this process's CPU time / threads, which equals the
        # wall clock on an idle machine and does not shrink the run when other jobs share the cores
        used = elapsed if args.budget_clock == "wall" else (time.process_time() - c0) / args.threads
        over_budget = args.time_budget_min and used > args.time_budget_min * 60
        if rank == 0 and (epoch % args.eval_every == 0 or stop or over_budget or epoch == args.epochs):
            v = eval_split(model, ds.valid)
            score = v[args.select]["NDCG@10"]
            rec["valid"] = v
            if score > best[0]:
                best = (score, copy.deepcopy(model.state_dict()), epoch)
                bad = 0
            else:
                bad += 1
            if bad >= args.patience:
                stop = True
        say(rec)
        if distributed:
            flag = torch.tensor([1 if (stop or over_budget) else 0])
            dist.broadcast(flag, 0)
            stop = bool(flag.item())
        if stop or over_budget:
            break
    train_s = time.time() - t0
    args.cpu_seconds = round(time.process_time() - c0, 1)
    result: dict = {}
    if rank == 0:
        if best[1] is not None:
            model.load_state_dict(best[1])
        result = finish(args, ds, model, cfg, train_s, epoch, best[2], step)
        say({"event": "done", **{k: result[k] for k in ("train_seconds", "best_epoch")}})
    if distributed:
        dist.destroy_process_group()
    return result


def finish(args, ds: data_mod.Dataset, model: Recommender, cfg: ModelConfig, train_s: float, epochs: int,
           best_epoch: int, steps: int) -> dict:
    model.eval()
    subsets = None
    cold_subsets = {}
    if ds.cold_items is not None:
        is_cold = np.zeros(ds.num_items + 1, dtype=bool)
        is_cold[ds.cold_items] = True
        for name, split in ds.tests.items():
            cold_subsets[name] = {"cold_target": is_cold[split.targets], "warm_target": ~is_cold[split.targets]}
    metrics = {
        "dataset": ds.name,
        "protocol": "leave-one-out, full ranking over all items; 'all' ranks every item, 'exclude_history' removes "
                    "the user's earlier items (never the target) from the ranking",
        "selection": f"best validation {args.select} NDCG@10 (checked every {args.eval_every} epochs)",
        "config": cfg.to_dict(),
        "train": {"seconds": round(train_s, 1), "cpu_seconds": getattr(args, "cpu_seconds", None),
                  "load_note": "seconds = wall clock on a shared 2-core machine; cpu_seconds / threads = wall time when idle",
                  "epochs": epochs, "best_epoch": best_epoch, "steps": steps,
                  "threads": args.threads, "batch_size": args.batch_size, "lr": args.lr,
                  "id_dropout": args.id_dropout, "mask_history": args.mask_history,
                  "anneal_epochs": args.anneal_epochs},
        "valid": eval_split(model, ds.valid),
    }
    for name, split in ds.tests.items():
        metrics[name] = eval_split(model, split, cold_subsets.get(name))
    if ds.cold_items is not None:
        metrics["cold_items"] = int(len(ds.cold_items))
    torch.save({"config": cfg.to_dict(), "state": model.state_dict(), "dataset": ds.name.replace("-cold", ""),
                "max_users": args.max_users, "cold_items": None if ds.cold_items is None else ds.cold_items.tolist(),
                "cold_fraction": args.cold_fraction, "cold_seed": args.cold_seed},
               os.path.join(args.out, "model.pt"))
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    metrics["train_seconds"] = round(train_s, 1)
    metrics["best_epoch"] = best_epoch
    return metrics


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True, choices=["beauty", "ml1m"])
    p.add_argument("--out", required=True)
    p.add_argument("--max-users", type=int, default=None, help="use only the first N users (smoke tests)")
    p.add_argument("--max-len", type=int)
    p.add_argument("--dim", type=int)
    p.add_argument("--blocks", type=int)
    p.add_argument("--heads", type=int)
    p.add_argument("--ffn-dim", type=int)
    p.add_argument("--text-dim", type=int, default=32, help="token table width (int8 size: 30522 x this bytes)")
    p.add_argument("--dropout", type=float)
    p.add_argument("--lr", type=float)
    p.add_argument("--anneal-epochs", type=int, help="cosine-decay the learning rate over this many epochs (0: constant)")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--batch-size", type=int, help="per process; the global batch is this times the world size")
    p.add_argument("--epochs", type=int)
    p.add_argument("--max-steps", type=int, default=0)
    p.add_argument("--eval-every", type=int)
    p.add_argument("--patience", type=int, help="evaluations without improvement before stopping")
    p.add_argument("--select", default="exclude_history", choices=["all", "exclude_history"])
    p.add_argument("--time-budget-min", type=float, default=20.0, help="stop after this many minutes of training")
    p.add_argument("--budget-clock", default="cpu", choices=["cpu", "wall"],
                   help="cpu: CPU seconds / threads (idle-machine wall time); wall: wall clock")
    p.add_argument("--mask-history", action="store_true",
                   help="earlier items of the sequence are not negatives in the softmax (matches exclude_history)")
    p.add_argument("--no-text", action="store_true", help="ablation: ID embeddings only")
    p.add_argument("--no-ids", action="store_true", help="ablation: text tower only")
    p.add_argument("--id-dropout", type=float, help="drop the ID part of this fraction of items each step")
    p.add_argument("--cold-fraction", type=float, default=0.0, help="hold this fraction of items out of training")
    p.add_argument("--cold-seed", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    for k, v in PRESETS[args.dataset].items():
        if getattr(args, k, None) is None:
            setattr(args, k, v)
    return args


def ddp_worker(rank: int, world: int, port: int, argv: List[str]) -> None:
    """One process of a local DDP run (what torchrun would start): ``torch.multiprocessing.spawn(ddp_worker, ...)``."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank),
                      WORLD_SIZE=str(world))
    train(parse_args(argv))


def main(argv=None) -> None:
    train(parse_args(argv))


if __name__ == "__main__":
    main()
