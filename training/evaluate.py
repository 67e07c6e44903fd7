"""Full-ranking leave-one-out metrics: HR@K and NDCG@K over every catalog item (no sampled negatives)."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

KS = (10, 20)


def left_pad(histories: Sequence[Sequence[int]], max_len: int) -> torch.Tensor:
    out = np.zeros((len(histories), max_len), dtype=np.int64)
    for i, h in enumerate(histories):
        h = list(h)[-max_len:]
        if h:
            out[i, max_len - len(h):] = h
    return torch.from_numpy(out)


def metrics_from_ranks(ranks: np.ndarray, ks: Sequence[int] = KS) -> Dict[str, float]:
    """``ranks`` are 0-based positions of the target (0 = top)."""
    out: Dict[str, float] = {}
    for k in ks:
        hit = ranks < k
        out[f"HR@{k}"] = float(hit.mean()) if len(ranks) else 0.0
        out[f"NDCG@{k}"] = float((hit / np.log2(ranks + 2.0)).mean()) if len(ranks) else 0.0
    return out


def rank_targets(scores: torch.Tensor, targets: torch.Tensor, histories: Optional[Sequence[Sequence[int]]]) -> torch.Tensor:
    """scores [U, N] over items 1..N (column j = item j+1); targets [U] item ids. Ties count against the target.

    With ``histories`` the user's earlier items are removed from the ranking (never the target itself).
    """
    scores = scores.clone()
    idx = targets - 1
    tgt = scores.gather(1, idx.unsqueeze(1))  # read before the history is masked: a repeated item keeps its score
    if histories is not None:
        for u, h in enumerate(histories):
            if len(h):
                scores[u, torch.as_tensor(np.asarray(h), dtype=torch.long) - 1] = -float("inf")
        scores.scatter_(1, idx.unsqueeze(1), tgt)  # the target is never excluded, even if seen before
    return (scores >= tgt).sum(1, dtype=torch.int32).long() - 1  # = #(>) + #(==) - 1, one pass (issue 10)


@torch.no_grad()
def target_ranks(
    user_fn,
    item_table: torch.Tensor,
    histories: Sequence[Sequence[int]],
    targets: np.ndarray,
    max_len: int,
    batch_size: int = 1024,
    types: Optional[Sequence[Sequence[int]]] = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """Each user's 0-based rank of the target over every item: (all items, history excluded). Arguments as
    ``evaluate``."""
    ranks_all: List[np.ndarray] = []
    ranks_ex: List[np.ndarray] = []
    items = item_table[1:]
    for s in range(0, len(histories), batch_size):
        hist = histories[s:s + batch_size]
        seqs = left_pad(hist, max_len)
        users = user_fn(seqs) if types is None else user_fn(seqs, left_pad(types[s:s + batch_size], max_len))
        scores = users @ items.t()
        tg = torch.as_tensor(targets[s:s + batch_size], dtype=torch.long)
        ranks_all.append(rank_targets(scores, tg, None).numpy())
        ranks_ex.append(rank_targets(scores, tg, hist).numpy())
    return np.concatenate(ranks_all), np.concatenate(ranks_ex)


def evaluate(
    user_fn,
    item_table: torch.Tensor,
    histories: Sequence[Sequence[int]],
    targets: np.ndarray,
    max_len: int,
    batch_size: int = 1024,
    subsets: Optional[Dict[str, np.ndarray]] = None,
    types: Optional[Sequence[Sequence[int]]] = None,
) -> Dict[str, Dict[str, float]]:
    """``user_fn(seqs [B, L]) -> [B, D]``; ``item_table`` [N+1, D] (row 0 = pad). With ``types`` (the event type of
    every history step, aligned with ``histories``) it is called as ``user_fn(seqs, event_types)``.

    Returns {"all": {...}, "exclude_history": {...}} (+ the same per named boolean user subset)."""
    ra, rx = target_ranks(user_fn, item_table, histories, targets, max_len, batch_size, types)
    out = {"all": metrics_from_ranks(ra), "exclude_history": metrics_from_ranks(rx), "users": int(len(ra))}
    for name, mask in (subsets or {}).items():
        out[name] = {"all": metrics_from_ranks(ra[mask]), "exclude_history": metrics_from_ranks(rx[mask]),
                     "users": int(mask.sum())}
    return out
