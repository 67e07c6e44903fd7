"""Train / validation / test splits of per-user step sequences, as compact ``Ragged`` rows.

``loo`` (default), the protocol of every published number here: a user with at least 3 steps trains on
seq[:-2], is validated on seq[-2] given seq[:-2] and tested on seq[-1] given seq[:-1]; a user with 2 steps trains on
both (one transition) and is not evaluated; a user with 1 step only counts toward popularity.

``time``: one global cut for everybody. Steps before the 80th percentile of all step times train; a user's first step
in [p80, p90) is their validation target (history: their training steps), their first step from p90 on is the test
target (history: every earlier step, validation period included). Items first seen after the cut have no training
step: they are cold items and get text-only vectors, as new products would.

Training rows keep each user's most recent ``history_cap`` steps. Validation and test users above ``valid_cap`` /
``test_cap`` are a seeded random sample (order kept).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .sequences import Ragged, Sequences

VALID_Q, TEST_Q = 0.8, 0.9


@dataclass
class Split:
    train_starts: np.ndarray
    train_ends: np.ndarray
    valid_users: np.ndarray
    valid_ends: np.ndarray  # history = [offsets[u], end), target = step at end
    test_users: np.ndarray
    test_ends: np.ndarray
    info: dict
    refit_ends: Optional[np.ndarray] = None  # train_ends + 1 for every user with a validation step (before the cap):
    # the rows a final phase trains on when it takes the validation targets in too (recipe ``refit``, fit.py)


def _sample(users: np.ndarray, ends: np.ndarray, cap: int, rng: np.random.Generator):
    if len(users) <= cap:
        return users, ends
    keep = np.sort(rng.choice(len(users), size=cap, replace=False))
    return users[keep], ends[keep]


def make_split(seqs: Sequences, kind: str = "loo", history_cap: Optional[int] = None, valid_cap: int = 25_000,
               test_cap: int = 50_000, seed: int = 0) -> Split:
    off, lengths = seqs.offsets, seqs.lengths()
    starts = off[:-1]
    info: dict = {"kind": kind}
    if kind == "loo":
        t_end = off[1:] - np.where(lengths >= 3, 2, 0)
        ev = np.flatnonzero(lengths >= 3)
        v_users, v_ends = ev, off[1:][ev] - 2
        x_users, x_ends = ev, off[1:][ev] - 1
        info.update(users_evaluated=int(len(ev)), users_train_only=int((lengths == 2).sum()),
                    users_one_step=int((lengths == 1).sum()))
    elif kind == "time":
        if seqs.times is None:
            raise ValueError("--split time needs a timestamp column in the events file")
        t_valid, t_test = (int(x) for x in np.quantile(seqs.times, [VALID_Q, TEST_Q], method="lower"))
        user_of = np.repeat(np.arange(seqs.num_users), lengths)
        n_train = np.bincount(user_of[seqs.times < t_valid], minlength=seqs.num_users)
        n_before = np.bincount(user_of[seqs.times < t_test], minlength=seqs.num_users)
        t_end = starts + n_train
        v = np.flatnonzero((n_train >= 1) & (n_before > n_train))
        v_users, v_ends = v, starts[v] + n_train[v]
        x = np.flatnonzero((n_before >= 1) & (lengths > n_before))
        x_users, x_ends = x, starts[x] + n_before[x]
        info.update(valid_from_ms=t_valid, test_from_ms=t_test, users_evaluated=int(len(x)))
    else:
        raise ValueError(f"unknown split {kind!r} (loo or time)")
    t_start = starts.copy()
    if history_cap is not None:
        t_start = np.maximum(starts, t_end - history_cap)
    info["steps_beyond_history_cap"] = int((t_start - starts).sum())
    refit_ends = t_end.copy()
    refit_ends[v_users] += 1  # the validation step sits at each such row's end, in both kinds of split
    rng = np.random.default_rng(seed)
    info["valid_users_total"], info["test_users_total"] = int(len(v_users)), int(len(x_users))
    v_users, v_ends = _sample(v_users, v_ends, valid_cap, rng)
    x_users, x_ends = _sample(x_users, x_ends, test_cap, rng)
    if len(v_users) == 0 or len(x_users) == 0:
        raise ValueError(f"the {kind} split leaves no validation or test user (users need at least 3 steps for "
                         "loo, or steps on both sides of the cut for time)")
    return Split(t_start, t_end, v_users, v_ends, x_users, x_ends, info, refit_ends)


def eval_rows(seqs: Sequences, users: np.ndarray, ends: np.ndarray):
    """(histories, history types, targets, target types) for evaluation users."""
    starts = seqs.offsets[:-1][users]
    return (Ragged(seqs.items, starts, ends), Ragged(seqs.types, starts, ends),
            seqs.items[ends].astype(np.int64), seqs.types[ends].copy())
