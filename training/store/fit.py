"""Training loop for store logs: typed, weighted softmax cross-entropy (over every item, or over a sample of them
where the budget could not hold enough epochs of the full softmax: recipe.choose_negatives) within a time budget,
on CPU or CUDA, one process or DDP (``torchrun``; gloo on CPU, NCCL on CUDA; ``--batch-size`` is global, split over
processes).

The model and loss are training/model.py's; what this loop adds over training/train.py: event types as encoder
input (the event-type embedding trains when the log has more than one type), per-target weights by event type,
compact training windows (start/end indices into one array instead of one array per window), the budget schedule
of ``schedule.py`` with mid-epoch budget checks (an epoch of a large log may not fit in the budget at all), and
progress lines for a terminal.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np
import torch
import torch.distributed as dist

from .. import data as data_mod
from ..cpu import setup as cpu_setup
from ..model import ModelConfig, Recommender, SampledNegatives
from ..train import build_model, eval_split, make_batches
from .recipe import Recipe, choose_batch, choose_negatives
from .schedule import BudgetSchedule


@dataclass
class FitOptions:
    time_budget_min: float = 20.0
    budget_clock: str = "wall"  # wall, or cpu (process CPU seconds / threads)
    threads: int = 2
    device: str = "auto"
    seed: int = 0
    epochs: Optional[int] = None  # fixed epoch count (step-based schedule) instead of the budget schedule
    max_steps: int = 0
    patience: int = 2  # evaluations without a gain before the decay from the best checkpoint (schedule.py)
    select: str = "exclude_history"


def pick_device(name: str, local_rank: int = 0) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: no CUDA device is available to this PyTorch (use --device auto or cpu)")
        return torch.device("cuda", local_rank)
    return torch.device(name)


def make_windows(train, max_len: int, recent: int = 0):
    """(starts, ends) into ``train.values``: each row cut into windows of max_len+1 steps from its end, consecutive
    windows sharing one step, as train.make_examples does; ``recent`` > 0 keeps each row's last ``recent`` windows."""
    s, e = np.asarray(train.starts), np.asarray(train.ends)
    n = e - s
    k = np.where(n >= 2, -(-(n - 1) // max_len), 0)
    if recent > 0:
        k = np.minimum(k, recent)
    row = np.repeat(np.arange(len(n)), k)
    j = np.arange(len(row)) - np.repeat(np.cumsum(k) - k, k)
    w_end = e[row] - j * max_len
    return np.maximum(s[row], w_end - max_len - 1), w_end


def collate(items: np.ndarray, types: Optional[np.ndarray], starts, ends, weights: Optional[np.ndarray]):
    """Left-padded inputs/targets [B, L] (+ input event types, target weights) for windows [starts, ends)."""
    length = int((ends - starts).max()) - 1
    b = len(starts)
    inp = np.zeros((b, length), np.int64)
    tgt = np.zeros((b, length), np.int64)
    ty = np.zeros((b, length), np.int64) if types is not None else None
    wt = np.zeros((b, length), np.float32) if types is not None else None
    for r, (a, z) in enumerate(zip(starts.tolist(), ends.tolist())):
        m = z - a - 1
        inp[r, length - m:] = items[a:z - 1]
        tgt[r, length - m:] = items[a + 1:z]
        if ty is not None:
            ty[r, length - m:] = types[a:z - 1]
            wt[r, length - m:] = weights[types[a + 1:z]]
    out = [torch.from_numpy(inp), torch.from_numpy(tgt)]
    return out + ([torch.from_numpy(ty), torch.from_numpy(wt)] if ty is not None else [None, None])


def typed(ds: data_mod.Dataset) -> bool:
    """Whether the training steps carry more than one event type (then types are model input)."""
    return ds.train_types is not None and len(np.unique(ds.train_types.values)) > 1


def build(ds: data_mod.Dataset, recipe: Recipe, use_types: bool) -> Recommender:
    cfg = ModelConfig(num_items=ds.num_items, dim=recipe.dim, max_len=recipe.max_len, blocks=recipe.blocks,
                      heads=recipe.heads, ffn_dim=recipe.ffn_dim, dropout=recipe.dropout, text_dim=recipe.text_dim,
                      use_text=bool(recipe.text), item_norm=bool(recipe.item_norm),
                      rel_pos=bool(recipe.rel_pos))
    model = build_model(ds, cfg)
    if use_types:
        model.encoder.event.weight.requires_grad_(True)
    return model


class WeightAverage:
    """Exponential moving average of the trained parameters with a half-life of ``half_life`` steps; for the first
    steps after a (re)start the rate is ``(1 + n) / (10 + n)`` at most, so the average is not stuck at the weights
    it started from. ``swap_in`` puts the average into the model (returns the live weights for ``swap_out``)."""

    def __init__(self, params, half_life: float):
        self.params = params
        self.beta = 0.5 ** (1.0 / max(half_life, 1.0))
        self.reset()

    @torch.no_grad()
    def reset(self) -> None:
        self.avg = [p.detach().clone() for p in self.params]
        self.n = 0

    @torch.no_grad()
    def update(self) -> None:
        b = min(self.beta, (1 + self.n) / (10 + self.n))
        self.n += 1
        torch._foreach_mul_(self.avg, b)
        torch._foreach_add_(self.avg, [p.detach() for p in self.params], alpha=1.0 - b)

    @torch.no_grad()
    def swap_in(self):
        live = [p.detach().clone() for p in self.params]
        for p, a in zip(self.params, self.avg):
            p.copy_(a)
        return live

    @torch.no_grad()
    def swap_out(self, live) -> None:
        for p, x in zip(self.params, live):
            p.copy_(x)


def _probe_step_s(forward_backward: Callable, batches, cells: Sequence[int], mean_cells: float,
                  adam, used: Callable[[], float], device, world: int) -> float:
    """Seconds a mean training step takes with the full softmax. The probe batches are length-bucketed, so their
    sizes (``cells``: batch x its longest window, ``padded_cells``) differ a lot on a log with long and short
    histories (timed as whole steps, ML-1M's eight read 112 to 142 ms a step against ~250 ms for a mean one): each
    pass is timed per cell of its padded batch, and the median of that rate (after the first pass, which warms up) is
    scaled to ``mean_cells``, the mean padded size of an epoch's batches. No optimizer step, and the random state is put back, so the training that follows is the
    one it would have been without the probe."""
    rng_state = torch.get_rng_state()
    rates = []
    for b, c in zip(batches, cells):
        t = used()
        forward_backward(b, None)
        adam.zero_grad(set_to_none=True)
        rates.append((used() - t) / max(c, 1))
    torch.set_rng_state(rng_state)
    step_s = float(np.median(rates[1:] if len(rates) > 1 else rates)) * mean_cells
    if world > 1:  # one decision for every process: rank 0's clock
        t = torch.tensor([step_s], dtype=torch.float64, device=device if device.type == "cuda" else "cpu")
        dist.broadcast(t, 0)
        step_s = float(t[0])
    return step_s


def padded_cells(lengths: np.ndarray, b: np.ndarray) -> int:
    """Cells of batch ``b`` as collated: windows x the longest one (inputs are trimmed to it)."""
    return int(len(b) * max(int(lengths[b].max()) - 1, 1)) if len(b) else 0


def fit(ds: data_mod.Dataset, recipe: Recipe, opt: FitOptions, say: Callable[[dict], None]) -> dict:
    """Train; returns {"model", "state" (best), "log", ...} on rank 0 (and {} elsewhere)."""
    cpu_setup(opt.threads)  # one thread pool per core, freed memory kept (training/cpu.py: ~3x a step here)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(opt.device, local)
    if world > 1 and not dist.is_initialized():
        init_distributed(device)
    torch.manual_seed(opt.seed)
    rng = np.random.default_rng(opt.seed)
    use_types = typed(ds)
    model = build(ds, recipe, use_types).to(device)
    model.items.mean_matrix = model.items.mean_matrix.to(device)
    net = torch.nn.parallel.DistributedDataParallel(
        model, device_ids=[local] if device.type == "cuda" else None, broadcast_buffers=False) if world > 1 else model
    initial = {k: x.detach().cpu().clone() for k, x in model.state_dict().items()}  # for a restart (schedule.py)
    params = [p for p in model.parameters() if p.requires_grad]
    if recipe.weight_decay > 0:  # decoupled (AdamW) on the matrices and tables; norms and biases left alone
        groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": recipe.weight_decay},
                  {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
        adam = torch.optim.AdamW(groups, lr=recipe.lr, betas=(0.9, 0.98))
    else:
        adam = torch.optim.Adam(params, lr=recipe.lr, betas=(0.9, 0.98))
    items = np.asarray(ds.train.values)
    types = np.asarray(ds.train_types.values) if use_types else None
    weights = np.asarray(ds.type_weights if ds.type_weights is not None else np.ones(5), np.float32)
    w_s, w_e = make_windows(ds.train, recipe.max_len, recipe.recent_windows)
    lengths = w_e - w_s
    per_epoch = max(1, math.ceil(len(lengths) / recipe.batch_size))
    budget_s = opt.time_budget_min * 60 if opt.time_budget_min else None
    sched = BudgetSchedule(budget_s if opt.epochs is None else None, opt.patience,
                           None if opt.epochs is None else opt.epochs * per_epoch, recipe.restart_fit,
                           recipe.restart_len)
    t0, c0 = time.time(), time.process_time()
    def used() -> float:
        """The budget's clock: wall seconds, or CPU seconds / threads (idle-machine wall time)."""
        return (time.time() - t0) if opt.budget_clock == "wall" else (time.process_time() - c0) / opt.threads

    def forward_backward(b: np.ndarray, sampled: Optional[SampledNegatives]):
        """Loss of batch ``b`` (this process's share of it) and its target count; backward done, the gradients
        scaled to the mean over the whole batch's targets."""
        sl = slice(rank * len(b) // world, (rank + 1) * len(b) // world)
        inp, tgt, ty, wt = collate(items, types, w_s[b][sl], w_e[b][sl], weights)
        dev = lambda x: None if x is None else x.to(device, non_blocking=True)  # noqa: E731
        # No item mask: cold items (in the catalog, no training step; text-only vectors, their ID rows masked in
        # the model) stay in the softmax as negatives, a catalog item nobody chose. Masked out of it, their text
        # vectors were never pushed down and took a top-10 slot for 27 % of Beauty's validation users.
        keep = None
        if recipe.id_dropout > 0:  # the same items lose their ID part in the inputs and in the softmax
            keep = (torch.rand(ds.num_items + 1, 1, device=device) >= recipe.id_dropout).float()
        loss, n = net(dev(inp), dev(tgt), None, keep, recipe.mask_history, dev(ty), dev(wt), sampled,
                      recipe.label_smoothing, (recipe.future_targets, recipe.future_weight), future_sampler)
        (loss * world / max(int((lengths[b] - 1).sum()), 1)).backward()
        return loss, n

    pop = ds.popularity().astype(np.float64)  # the items' shares of the training steps (the sample's correction)
    share = torch.from_numpy(pop / max(pop.sum(), 1.0))
    # The later-item targets (recipe.future_targets) rank a sample where it is under half the catalog
    future_sampler = SampledNegatives(recipe.future_negatives, share) \
        if recipe.future_targets > 0 and 0 < 2 * recipe.future_negatives <= ds.num_items else None
    # The softmax: full unless the recipe sets a sample, or unless a few timed steps show that the budget holds too
    # few epochs of it (recipe.choose_negatives); then the batch is chosen again for the sampled width.
    softmax = {"negatives": max(recipe.negatives, 0), "why": "set by the recipe" if recipe.negatives >= 0 else ""}
    if recipe.negatives < 0 and (budget_s is None or opt.epochs is not None):
        softmax.update(negatives=0, why="no time budget (fixed epochs) -> full softmax")
    elif recipe.negatives < 0:
        epoch_b = make_batches(lengths, recipe.batch_size, np.random.default_rng(opt.seed + 1))
        cells = [padded_cells(lengths, b) for b in epoch_b]
        net.train()
        step_s = _probe_step_s(forward_backward, epoch_b[:8], cells[:8], float(np.mean(cells)), adam, used, device,
                               world)
        k, why = choose_negatives(step_s, per_epoch, budget_s, ds.num_items)
        softmax.update(negatives=k, why=why)
        if k > 0:
            recipe.batch_size = choose_batch(recipe.max_len, k)
            per_epoch = max(1, math.ceil(len(lengths) / recipe.batch_size))
            softmax["why"] += f"; batch {recipe.batch_size}"
        if rank == 0:
            say({"event": "stage", "stage": "softmax", "message": softmax["why"]})
    sampler = SampledNegatives(softmax["negatives"], share) if softmax["negatives"] > 0 else None
    ema = WeightAverage(params, recipe.ema_epochs * per_epoch) if recipe.ema_epochs > 0 else None
    say({"event": "start", "windows": int(len(lengths)), "steps_per_epoch": per_epoch, "device": str(device),
         "world": world, "typed": use_types, "budget_s": budget_s, "negatives": softmax["negatives"]})
    best = {"score": -1.0, "state": None, "epoch": 0, "step": 0}
    st = {"last_eval": 0.0, "eval_cost": 0.0, "last_say": 0.0, "reset": None, "refit": None}
    refit_rows = ds.extra.get("refit_rows") if recipe.refit else None

    def start_refit() -> None:
        """From the decay on, the windows end one step later for every user with a validation step: the final phase
        trains on the validation targets too (validation can no longer select; the state training ends in is kept)."""
        nonlocal w_s, w_e, lengths, per_epoch
        w_s, w_e = make_windows(refit_rows, recipe.max_len, recipe.recent_windows)
        lengths = w_e - w_s
        per_epoch = max(1, math.ceil(len(lengths) / recipe.batch_size))
        st["refit"] = {"epoch": epoch, "step": step, "used_s": round(used(), 1), "windows": int(len(lengths)),
                       "targets": int((lengths - 1).sum()), "valid_before": best["score"]}
        if rank == 0:
            say({"event": "stage", "stage": "schedule", "message": f"the decay trains on the validation targets "
                 f"too from here (refit): {int((lengths - 1).sum()):,} targets; no more validation, the final state is "
                 "kept"})
    log, step, epoch, tot, cnt, factor, frac = [], 0, 0, 0.0, 0, 1.0, 0.0
    stop, reason = False, ""
    ctl = torch.zeros(4, device=device if world > 1 and device.type == "cuda" else "cpu")

    def validate() -> None:
        nonlocal best
        t_eval = used()
        raw = ema.swap_in() if ema is not None else None  # the averaged weights are the ones validated and kept
        v = eval_split(model, ds.valid, use_types=use_types, device=device)
        st["eval_cost"], st["last_eval"] = used() - t_eval, used()
        score = v[opt.select]["NDCG@10"]
        improved = score > best["score"]
        if improved:
            best = {"score": score, "valid": v, "epoch": epoch, "step": step,
                    "at": used() if opt.epochs is None else step, "state": {k: x.detach().cpu().clone() for k, x in model.state_dict().items()}}
        if raw is not None:
            ema.swap_out(raw)
        action = sched.evaluated(improved, used(), step, best.get("at"))
        if action is not None:  # schedule.py: reset to the initial weights, or back to the best checkpoint
            model.load_state_dict(initial if action == "restart" else best["state"])
            if action == "restart":
                adam.state.clear()
            if ema is not None:
                ema.reset()
            st["reset"] = action
            say({"event": "stage", "stage": "schedule", "message": f"{sched.reason} (best: epoch {best['epoch']}); "
                 f"cosine over {sched.decay_len:.0f} {'s' if opt.epochs is None else 'steps'}"})
        rec = {"event": "valid", "epoch": epoch, "step": step, "loss": tot / max(cnt, 1), "valid": v,
               "best": best["score"], "lr": recipe.lr * factor, "used_s": round(used(), 1),
               "left_s": sched.left_s(used()), "epoch_frac": frac}
        log.append(rec)
        say(rec)
        model.train()

    while not stop:
        epoch += 1
        model.train()
        tot, cnt = 0.0, 0
        batches = make_batches(lengths, recipe.batch_size, rng)
        for bi, b in enumerate(batches):
            if len(b) < world:  # every process needs at least one window (same decision on every rank)
                continue
            factor = sched.rate(used(), step)
            decaying = sched.decaying
            over = bool(budget_s and used() > budget_s) or sched.done or bool(opt.max_steps and step >= opt.max_steps)
            if world > 1:  # rank 0's clock decides for everybody
                ctl[:] = torch.tensor([factor, float(over), {None: 0.0, "rollback": 1.0, "restart": 2.0}[st["reset"]],
                                       float(sched.decaying)])
                dist.broadcast(ctl, 0)
                factor, over, decaying = float(ctl[0]), bool(ctl[1] > 0), bool(ctl[3] > 0)
                if ctl[2] > 0:  # rank 0 reset its weights: every process takes them (and a restart drops Adam's state)
                    for x in model.state_dict().values():
                        dist.broadcast(x, 0)
                    if ctl[2] > 1:
                        adam.state.clear()
                st["reset"] = None
            if over:
                stop = True
                reason = ("max steps" if opt.max_steps and step >= opt.max_steps else
                          sched.stop_reason if sched.done else "time budget")
                break
            if refit_rows is not None and decaying and st["refit"] is None:
                start_refit()
                epoch -= 1  # this epoch again, over the longer windows
                break
            for g in adam.param_groups:
                g["lr"] = recipe.lr * factor
            loss, n = forward_backward(b, sampler)
            adam.step()
            adam.zero_grad(set_to_none=True)
            if ema is not None:
                ema.update()
            tot, cnt, step, frac = tot + float(loss), cnt + n, step + 1, round((bi + 1) / len(batches), 3)
            if rank != 0:
                continue
            end_epoch = bi == len(batches) - 1
            span = max((budget_s or 0) / (20 if end_epoch else 10), 4 * st["eval_cost"])  # evaluation <= ~20 %
            if st["refit"] is None and (used() - st["last_eval"] >= span or (opt.epochs is not None and end_epoch)):
                validate()
            elif time.time() - st["last_say"] > 30:
                say({"event": "progress", "epoch": epoch, "step": step, "epoch_frac": frac,
                     "loss": tot / max(cnt, 1), "used_s": round(used(), 1), "left_s": sched.left_s(used())})
                st["last_say"] = time.time()
        if not stop and opt.epochs is not None and epoch >= opt.epochs:
            stop, reason = True, f"{opt.epochs} epochs"
    if rank == 0 and st["refit"] is not None:  # the final state is the model; its validation trained on the targets
        if ema is not None:  # the average is the model, as validation scored it before the refit
            ema.swap_in()
        v = eval_split(model, ds.valid, use_types=use_types, device=device)
        best = {**best, "epoch": epoch, "step": step,
                "state": {k: x.detach().cpu().clone() for k, x in model.state_dict().items()}}
        st["refit"]["valid_after"] = v[opt.select]["NDCG@10"]
        log.append({"event": "valid", "epoch": epoch, "step": step, "valid": v, "refit": True,
                    "used_s": round(used(), 1)})
    elif rank == 0 and (not log or log[-1]["step"] != step):
        validate()  # the state training stopped in is a candidate too
    out: dict = {}
    if rank == 0:
        model = model.cpu()
        model.items.mean_matrix = model.items.mean_matrix.cpu()
        if best["state"] is not None:
            model.load_state_dict(best["state"])
        model.eval()
        out = {"model": model, "epochs": epoch, "steps": step, "best_epoch": best["epoch"], "best_step": best["step"],
               "best_valid": best["score"], "valid_metrics": best.get("valid"), "seconds": round(time.time() - t0, 1),
               "cpu_seconds": round(time.process_time() - c0, 1), "stop_reason": reason, "log": log,
               "device": str(device), "world": world, "typed": use_types, "softmax": softmax,
               "batch_size": recipe.batch_size, "refit": st["refit"],
               "decay": {"started_s": sched.decay_from, "length": sched.decay_len, "why": sched.reason}}
    return out


def init_distributed(device: torch.device) -> None:
    """One process group per run (torchrun sets RANK, WORLD_SIZE, MASTER_ADDR/PORT): NCCL on CUDA, gloo on CPU."""
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")

