"""Baselines computed in the same run, on the same split and rank rule as the model (training/evaluate.py):

- ``popular``: every user gets the items by training popularity.
- ``cooccur``: item-to-item co-occurrence. ``C[i, j]`` = how often i and j are within 3 steps of each other in a
  training sequence (either order); a user's scores are ``C[h1] + C[h2] / 2 + C[h3] / 4`` over their three most
  recent steps, plus popularity scaled below one co-occurrence (so users with no co-occurring item fall back to the
  popular ranking instead of ties).

Both are full rankings over every item, history excluded and not, like the model's figures.
"""
from __future__ import annotations

from typing import Dict, Sequence

import numpy as np
import torch

from ..evaluate import metrics_from_ranks, rank_targets

WINDOW = 3
RECENT_WEIGHTS = (1.0, 0.5, 0.25)


class CoOccurrence:
    """CSR matrix of co-occurrence counts over items 1..N (row/column = item id)."""

    def __init__(self, train, num_items: int):
        lengths = np.asarray(train.lengths() if hasattr(train, "lengths") else [len(s) for s in train])
        flat = train.concat() if hasattr(train, "concat") else np.concatenate([np.asarray(s) for s in train])
        flat = flat.astype(np.int64)
        row = np.repeat(np.arange(len(lengths)), lengths)
        n1 = num_items + 1
        keys = []
        for d in range(1, WINDOW + 1):
            same = row[d:] == row[:-d]
            a, b = flat[:-d][same], flat[d:][same]
            keep = a != b
            a, b = a[keep], b[keep]
            keys += [a * n1 + b, b * n1 + a]
        allk = np.concatenate(keys) if keys else np.zeros(0, np.int64)
        del keys
        uk, counts = np.unique(allk, return_counts=True)
        del allk
        rows = uk // n1
        self.cols = (uk % n1).astype(np.int32)
        self.vals = counts.astype(np.float32)
        self.indptr = np.zeros(n1 + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n1), out=self.indptr[1:])
        self.pairs = int(len(uk))

    def add_row(self, out: np.ndarray, item: int, weight: float) -> None:
        a, b = self.indptr[item], self.indptr[item + 1]
        out[self.cols[a:b] - 1] += weight * self.vals[a:b]


def _batch(num_items: int) -> int:
    return int(max(16, min(1024, 20_000_000 // max(num_items, 1))))


def evaluate_baselines(train, popularity: np.ndarray, histories: Sequence, targets: np.ndarray,
                       target_types=None) -> Dict[str, dict]:
    """{"popular": {...}, "cooccur": {...}} in evaluate()'s layout (+ per target type when types are given)."""
    n = len(popularity)
    co = CoOccurrence(train, n)
    pop = popularity.astype(np.float32)
    backoff = (pop / (pop.max() + 1.0) * 0.2).astype(np.float32)
    ranks = {"popular": ([], []), "cooccur": ([], [])}
    bs = _batch(n)
    for s in range(0, len(histories), bs):
        hist = histories[s:s + bs]
        tg = torch.as_tensor(np.asarray(targets[s:s + bs]), dtype=torch.long)
        p = torch.from_numpy(np.broadcast_to(pop, (len(hist), n)).copy())
        c = np.tile(backoff, (len(hist), 1))
        for b, h in enumerate(hist):
            for w, item in zip(RECENT_WEIGHTS, list(h[-WINDOW:])[::-1]):
                co.add_row(c[b], int(item), w)
        for name, scores in (("popular", p), ("cooccur", torch.from_numpy(c))):
            ranks[name][0].append(rank_targets(scores, tg, None).numpy())
            ranks[name][1].append(rank_targets(scores, tg, hist).numpy())
    out = {}
    for name, (ra, rx) in ranks.items():
        ra, rx = np.concatenate(ra), np.concatenate(rx)
        out[name] = {"all": metrics_from_ranks(ra), "exclude_history": metrics_from_ranks(rx), "users": int(len(ra))}
        if target_types is not None:
            out[name]["by_target_type"] = by_type(ra, rx, target_types)
    out["cooccur"]["pairs"] = co.pairs
    return out


def by_type(ra: np.ndarray, rx: np.ndarray, target_types: np.ndarray) -> Dict[str, dict]:
    from .events import EVENT_TYPES
    res = {}
    for t, name in enumerate(EVENT_TYPES, 1):
        m = np.asarray(target_types) == t
        if m.any():
            res[name] = {"all": metrics_from_ranks(ra[m]), "exclude_history": metrics_from_ranks(rx[m]),
                         "users": int(m.sum())}
    return res
