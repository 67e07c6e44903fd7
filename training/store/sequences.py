"""Per-user sequences in compact form: events sorted by (user, time, file order), consecutive events on the same
item merged into one *step*, stored as CSR arrays; and ``Ragged``, a list-like view of rows of a flat array.

A step is what the encoder sees at one position: one item and the strongest thing the shopper did with it in that
run of events (view < click < add_to_cart < purchase), timed at the run's first event. ``view, click, add_to_cart``
of one product is one step of type ``add_to_cart``; the same product again later (a re-purchase) is a new step.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional, Union

import numpy as np

from .events import EventLog


class Ragged:
    """Rows ``values[starts[i]:ends[i]]`` of one flat array, with the list operations the pipeline uses
    (``len``, ``[i]`` -> numpy view, ``[a:b]`` -> list of views, iteration)."""

    def __init__(self, values: np.ndarray, starts: np.ndarray, ends: np.ndarray):
        self.values = values
        self.starts = np.asarray(starts, dtype=np.int64)
        self.ends = np.asarray(ends, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i: Union[int, slice]):
        if isinstance(i, slice):
            return [self.values[a:b] for a, b in zip(self.starts[i], self.ends[i])]
        return self.values[self.starts[i]:self.ends[i]]

    def __iter__(self) -> Iterator[np.ndarray]:
        for a, b in zip(self.starts, self.ends):
            yield self.values[a:b]

    def lengths(self) -> np.ndarray:
        return self.ends - self.starts

    def concat(self) -> np.ndarray:
        """All rows' values as one array (rows must not overlap, as rows of different users never do)."""
        marks = np.zeros(len(self.values) + 1, dtype=np.int64)
        np.add.at(marks, self.starts, 1)
        np.add.at(marks, self.ends, -1)
        return self.values[np.cumsum(marks[:-1]) > 0]


@dataclass
class Sequences:
    offsets: np.ndarray  # int64 [U+1]; user u's steps are [offsets[u], offsets[u+1])
    items: np.ndarray  # int32 [S]
    types: np.ndarray  # int8 [S]
    times: Optional[np.ndarray]  # int64 [S] epoch ms, or None
    events: int  # events before merging
    merged: int  # events folded into the previous step (same item, consecutive)

    @property
    def num_users(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def save(self, path: str) -> None:
        arrays = dict(offsets=self.offsets, items=self.items, types=self.types,
                      counts=np.array([self.events, self.merged], dtype=np.int64))
        if self.times is not None:
            arrays["times"] = self.times
        np.savez(path, **arrays)

    @staticmethod
    def load(path: str) -> "Sequences":
        z = np.load(path if path.endswith(".npz") else path + ".npz")
        events, merged = (int(x) for x in z["counts"])
        return Sequences(z["offsets"], z["items"], z["types"], z["times"] if "times" in z.files else None,
                         events, merged)


def build_sequences(log: EventLog) -> Sequences:
    """Group, order and merge; both sorts are stable, so events with equal times keep their file order."""
    n = len(log)
    if log.times is not None:
        order = np.lexsort((log.times, log.users))
    else:
        order = np.argsort(log.users, kind="stable")
    users, items, types = log.users[order], log.items[order], log.types[order]
    times = None if log.times is None else log.times[order]
    del order
    new = np.ones(n, dtype=bool)
    if n > 1:
        new[1:] = (users[1:] != users[:-1]) | (items[1:] != items[:-1])
    starts = np.flatnonzero(new)
    step_types = np.maximum.reduceat(types, starts) if n else types
    counts = np.bincount(users[starts], minlength=log.num_users)
    offsets = np.zeros(log.num_users + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return Sequences(offsets=offsets, items=np.ascontiguousarray(items[starts]),
                     types=step_types.astype(np.int8), times=None if times is None else times[starts],
                     events=n, merged=int(n - len(starts)))


def lengths_summary(lengths: np.ndarray) -> dict:
    if len(lengths) == 0:
        return {"users": 0}
    q = np.percentile(lengths, [50, 80, 90, 99])
    return {"users": int(len(lengths)), "mean": round(float(lengths.mean()), 2), "p50": float(q[0]),
            "p80": float(q[1]), "p90": float(q[2]), "p99": float(q[3]), "max": int(lengths.max()),
            "one_step": int((lengths == 1).sum()), "two_steps": int((lengths == 2).sum())}

