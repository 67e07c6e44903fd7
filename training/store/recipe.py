"""The default recipe: every setting that depends on the data is derived from it by a written rule, so a store's
log, Amazon Beauty and MovieLens-1M all go through the same command with no per-data-set flags.

| setting | rule | Beauty | ML-1M |
|---|---|---|---|
| ``max_len`` | smallest of 50, 100, 200 covering the 80th percentile of users' step counts | 50 | 200 |
| ``dim`` (= FFN width) | 64; 32 when the training split has fewer than 20,000 target positions | 64 | 64 |
| ``blocks`` | 2; 4 from 300,000 training target positions | 2 | 4 |
| ``dropout`` | by targets per trained item ``e``: 0.5 at ``e`` <= 20, 0.3 less per tenfold ``e``, floor 0.1 (at ``e`` ~430) | 0.5 | 0.15 |
| ``batch_size`` | 128 at ``max_len`` 50, 64 above; halved while ``batch * max_len * items`` > 1.6e8 (logits) | 128 | 64 |
| training history | each user's most recent ``20 * max_len`` steps (older ones counted in the report) | all | all |
| validation users | all, or a seeded sample of 25,000 (selection only) | all | all |
| test users | all, or a seeded sample of 50,000 | all | all |
| ``mask_history`` | on when a target position's earlier items cover >= 1 % of the catalog on average (long histories, small catalog) and under 10 % of targets repeat an earlier item | off | on |
| softmax (``negatives``) | full over every item while the budget holds >= 20 epochs of it (timed on the first steps, ``choose_negatives``); else a sample of ``N * epochs / 20`` items (>= 2,048) plus the batch's targets, logQ-corrected, and the batch chosen again for that width | full | full |

**Refit** (``refit``, on for all data): the schedule's final phase (the restart's cosine, the decay from the best
checkpoint, or the planned decay at 70 % of the budget; ``schedule.py``) trains on each user's validation step too,
the newest interaction a shopper has before the test one, and the state training ends in is the model (validation
has chosen the schedule by then; it cannot select among states trained on its own targets). Chosen one step earlier:
on Beauty with each user's last step removed, so that the run's test is the real validation step, the refit raised
that NDCG@10 from 0.0604 to 0.0698 (EVAL.md, "Accuracy targets").

``blocks``: two more blocks make a step about half as dear again (ML-1M: 27 epochs in the budget at 4 blocks against
40 at 2, the full softmax being most of a step) and pay where the log is large: on ML-1M one step earlier (``convert ml1m --drop-last 1``, its test
= the real validation step) 4 blocks beat 2 (0.1952 against 0.1883) and 6 added nothing (0.1955); on Beauty one step
earlier (109,050 targets) 4 blocks were level with 2 (0.0696 against 0.0698), so below the line the cheaper encoder
stays (EVAL.md, "Accuracy targets"). The line lies between the two logs; a log in between is untested.

Fixed for all data: pre-LN blocks, 1 head, a learned attention bias by query-key distance in every block
(``rel_pos``: one step earlier, ML-1M 0.1952 -> 0.2061 and Beauty level, 0.0698 -> 0.0700; EVAL.md), lr 2e-3 (Adam 0.9/0.98), text table width 32, softmax
cross-entropy over every catalog item (cold ones included, as negatives; sampled only as the softmax rule says),
event types as encoder input with every target weighted 1 (``--type-weights`` can weight carts and purchases up: on the multi-behaviour study log that lost
to unit weights on validation and test, EVAL.md), and the budget schedule of ``schedule.py``.

``mask_history``: at each position the items already in the sequence are not softmax negatives (except the target
itself). The engine leaves a shopper's own items out of a shelf by default (``omit: 'history'``), and where repeats
are rare a seen item is almost never the next one either. Where the seen items are a sizeable part of the catalog
(MovieLens: a position sees ~3 % of it), pushing them all down spends the loss on items the shelf never shows: masked,
validation NDCG@10 went from 0.1764 to 0.1837 on ML-1M (test 0.1273 to 0.1292). Where they are a sliver of it (Amazon Beauty: ~0.03 %) they
are the few hard negatives the data has, and masking them lost (0.0683 to 0.0649). The 1 % line lies between the two
measured points (a log in between is untested); where repeats are common (groceries, consumables) the seen items stay
negatives, as a store serving repeats with ``omit: 'purchased'`` or ``'none'`` needs (EVAL.md, "Accuracy targets"). Only the time budget is the
user's to set (``--time-budget-min``, default 20).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Dict, Optional, Sequence

import numpy as np

MAX_LENS = (50, 100, 200)
MAX_LOGITS = 1.6e8  # batch * max_len * items bound for one step's full-softmax logits
DEFAULT_TYPE_WEIGHTS = (1.0, 1.0, 1.0, 1.0)  # view, click, add_to_cart, purchase (chosen on validation: EVAL.md)
VALID_CAP = 25_000
TEST_CAP = 50_000
HISTORY_CAP_FACTOR = 20
DEEP_MIN_TARGETS = 300_000  # 4 encoder blocks from this many training target positions, 2 below
DROPOUT_MIN = 0.1  # the dropout line's floor (0.2 until 2026-12-04: ML-1M, 286 targets an item, gained below it)
MIN_EPOCHS = 20  # the full softmax stays while the budget holds at least this many epochs of it
MIN_NEGATIVES = 2048  # fewest uniform draws a sampled step makes
REPEAT_MASK_MAX = 0.1  # mask_history only while fewer training targets than this repeat an earlier item of their user
SEEN_MASK_MIN = 0.01  # ... and while a target position's earlier items cover at least this share of the catalog
FUTURE_MAX_PER_ITEM = 50  # later items as extra targets below this many training targets per trained item (EVAL.md)
FUTURE_WEIGHT = 0.5


@dataclass
class Recipe:
    max_len: int
    dim: int
    ffn_dim: int
    dropout: float
    batch_size: int
    lr: float = 2e-3
    blocks: int = 2
    heads: int = 1
    text_dim: int = 32
    history_cap: int = 1000
    valid_cap: int = VALID_CAP
    test_cap: int = TEST_CAP
    type_weights: Sequence[float] = DEFAULT_TYPE_WEIGHTS
    mask_history: bool = False  # earlier items of the sequence are not softmax negatives (model.Recommender.forward)
    negatives: int = -1  # softmax: -1 = decided by fit.py from the measured step time (choose_negatives), 0 = full
    id_dropout: float = 0.0  # share of items whose ID part is dropped in a step (their text part stands alone)
    weight_decay: float = 0.0  # decoupled weight decay (AdamW) on weight matrices and tables (0 = Adam, none)
    label_smoothing: float = 0.0  # share of each target's loss spread uniformly over the items (0 = none)
    future_targets: int = 0  # each position also predicts this many later items (model.Recommender.forward)
    future_weight: float = FUTURE_WEIGHT  # ... the j-th later one with weight future_weight ** j
    future_negatives: int = 0  # the later-item rows rank their targets + this many sampled items (0 = every item)
    attributes: int = 0  # 1 = catalog attribute values (brand, category levels, tags) as item vectors (attributes.py)
    restart_fit: float = 2.0  # the schedule restarts when this many times the time to the best is left (schedule.py)
    restart_len: float = 2.0  # ... and its cosine runs over this many times the time to the best (at most what is left)
    refit: int = 1  # 1 = the final phase (the schedule's decay) trains on the validation targets too (fit.py)
    recent_windows: int = 0  # k > 0: train on each user's k most recent max_len windows only (experiment; 0 = all)
    text: int = 1  # 1 = item vectors add the title tower to the ID part; 0 = ID part only (experiment-only ablation)
    item_norm: int = 0  # 1 = item vectors scaled to unit length, input and output (experiment; model.ItemTower)
    rel_pos: int = 1  # 1 = each encoder block adds a learned attention bias by query-key distance (model.Block.rel)
    ema_epochs: float = 0.0  # half-life of an exponential moving average of the weights, in epochs (0 = none; fit.py)
    why: Dict[str, str] = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["type_weights"] = list(self.type_weights)
        return d

    @staticmethod
    def from_dict(d: dict) -> "Recipe":
        return Recipe(**d)


def with_overrides(values: dict, settings: Sequence[str]) -> dict:
    """``values`` (a ``Recipe.to_dict()``) with ``--recipe-set key=value`` experiments applied, each value cast to the
    setting's type, and ``why`` saying so; ValueError names an unknown setting. The command trains with this, and
    the report and EVAL's store table read a run's trained recipe back through it."""
    out = dict(values, why=dict(values.get("why") or {}))
    for kv in settings or []:
        key, _, value = kv.partition("=")
        if key not in out or key in ("why", "type_weights"):
            raise ValueError(f"--recipe-set: unknown recipe setting {key!r}")
        out[key] = type(out[key])(float(value)) if isinstance(out[key], (int, float)) else value
        out["why"][key] = "set by --recipe-set (experiment)"
    return out


def choose_max_len(step_counts: np.ndarray) -> int:
    p80 = float(np.percentile(step_counts, 80)) if len(step_counts) else 0.0
    return next((m for m in MAX_LENS if m >= p80), MAX_LENS[-1])


def choose_batch(max_len: int, width: int) -> int:
    """128 windows at ``max_len`` 50, 64 above; halved while a step's logits (``batch * max_len * width``, the
    softmax's width: every item, or the sampled candidates) exceed ``MAX_LOGITS``."""
    batch = 128 if max_len <= 50 else 64
    while batch > 8 and batch * max_len * width > MAX_LOGITS:
        batch //= 2
    return batch


def choose_dropout(targets_per_item: float) -> float:
    """0.5 at <= 20 training targets per item, 0.3 less per tenfold more, never under 0.1 (reached at ~430);
    rounded to 0.05."""
    decades = max(0.0, math.log10(max(targets_per_item, 1e-9)) - math.log10(20))
    return round(max(DROPOUT_MIN, 0.5 - 0.3 * decades) * 20) / 20


def repeat_share(items: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> float:
    """Share of the target positions (every step after a row's first) whose item occurs earlier in the same row:
    rows ``items[starts[i]:ends[i]]``, one per user."""
    lengths = np.maximum(np.asarray(ends) - np.asarray(starts), 0)
    targets = int(np.maximum(lengths - 1, 0).sum())
    if targets == 0:
        return 0.0
    flat = np.concatenate([items[a:b] for a, b in zip(starts, ends) if b > a]).astype(np.int64)
    row = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    keys = row * (int(flat.max()) + 1) + flat
    return (len(keys) - len(np.unique(keys))) / targets


def seen_share(train_lengths: np.ndarray, max_len: int, num_items: int) -> float:
    """Mean over the training target positions of how many earlier steps the position sees (at most ``max_len``),
    over the catalog size: the share of the catalog a position's history covers, counting repeats as distinct (the
    rule uses it only where repeats are rare)."""
    t = np.maximum(np.asarray(train_lengths, dtype=np.float64) - 1, 0)  # targets per user: positions 1..t see 1..t items
    m = float(max_len)
    sums = np.where(t <= m, t * (t + 1) / 2, m * (m + 1) / 2 + (t - m) * m)
    return float(sums.sum() / max(t.sum(), 1.0) / max(num_items, 1))


def derive(step_counts: np.ndarray, train_targets: int, trained_items: int, num_items: int = 0,
           type_weights: Sequence[float] = DEFAULT_TYPE_WEIGHTS, repeats: float = 0.0,
           train_lengths: Optional[np.ndarray] = None, attribute_values: int = 0) -> Recipe:
    """``step_counts``: steps per user (whole sequences); ``train_targets``: target positions in the training split;
    ``trained_items``: items with at least one training step; ``num_items``: catalog size (softmax width);
    ``repeats``: ``repeat_share`` of the training split; ``train_lengths``: steps per user in the training split
    (default ``step_counts``); ``attribute_values``: catalog attribute values naming two or more items
    (``catalog.attribute_lists``)."""
    max_len = choose_max_len(step_counts)
    dim = 64 if train_targets >= 20_000 else 32
    blocks = 4 if train_targets >= DEEP_MIN_TARGETS else 2
    per_item = train_targets / max(trained_items, 1)
    dropout = choose_dropout(per_item)
    batch = choose_batch(max_len, max(num_items, trained_items))
    p80 = float(np.percentile(step_counts, 80)) if len(step_counts) else 0.0
    seen = seen_share(step_counts if train_lengths is None else train_lengths, max_len, max(num_items, trained_items))
    mask = repeats < REPEAT_MASK_MAX and seen >= SEEN_MASK_MIN
    future = int(per_item < FUTURE_MAX_PER_ITEM)
    why = {
        "max_len": f"80th percentile of steps per user = {p80:.0f} -> {max_len}",
        "dim": f"{train_targets:,} training target positions -> {dim}",
        "blocks": f"{train_targets:,} training target positions (4 from {DEEP_MIN_TARGETS:,}) -> {blocks}",
        "dropout": f"{per_item:.1f} training targets per trained item -> {dropout}",
        "batch_size": f"max_len {max_len}, {max(num_items, trained_items):,} items -> {batch}",
        "mask_history": f"a position's history covers {100 * seen:.2f} % of the catalog, {100 * repeats:.1f} % of "
                        f"targets repeat an earlier item -> {'on' if mask else 'off'}",
        "future_targets": f"{per_item:.1f} training targets per trained item (< {FUTURE_MAX_PER_ITEM}: each position "
                          f"also predicts the item after its next, weight {FUTURE_WEIGHT}) -> {future}",
        "attributes": f"{attribute_values:,} catalog attribute values (tags; brand, category levels outside the text) name 2+ items "
                      f"-> {'on' if attribute_values else 'off'}",
    }
    return Recipe(max_len=max_len, dim=dim, ffn_dim=dim, dropout=dropout, batch_size=batch, blocks=blocks,
                  history_cap=HISTORY_CAP_FACTOR * max_len, type_weights=tuple(type_weights),
                  mask_history=mask, future_targets=future, attributes=int(attribute_values > 0), why=why)


def choose_negatives(step_s: float, steps_per_epoch: int, budget_s: Optional[float], num_items: int):
    """(negatives, why): 0 keeps the full softmax over every item; K > 0 samples K items a step (plus the batch's
    targets; model.SampledNegatives). ``step_s``: seconds a training step took with the full softmax (fit.py times
    its first steps). The full softmax stays while the budget holds ``MIN_EPOCHS`` epochs of it (on the 2-core machine
    the probe, timed per padded cell, measured Beauty at ~65, ML-1M at ~35 on 2026-12-07: a machine 1.8x slower would
    sample ML-1M); below that, K is chosen so that a softmax-bound step would fit that many
    (a step's cost grows with the softmax's width), never under ``MIN_NEGATIVES``, and only where it halves the
    width at least."""
    if budget_s is None:
        return 0, "no time budget (fixed epochs) -> full softmax"
    epochs = budget_s / max(step_s * steps_per_epoch, 1e-9)
    head = f"{1000 * step_s:.0f} ms a step with all {num_items:,} items: the budget holds {epochs:.1f} epochs"
    k = max(MIN_NEGATIVES, int(num_items * epochs / MIN_EPOCHS))
    if epochs >= MIN_EPOCHS or 2 * k > num_items:
        return 0, f"{head} -> full softmax"
    return k, f"{head} (< {MIN_EPOCHS}) -> {k:,} sampled items a step + the batch's targets"

