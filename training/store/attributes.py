"""Catalog attributes (``tags``; ``brand`` and ``category`` levels where the text does not read them) as a learned
item feature.

``v_i = id_emb[i] + text(i) + mean_a attr_emb[a]`` over the attribute values ``a`` of item ``i``: each value is one
row of its own ("tag=a17" is one vector learned from the events of every product that carries it). Brand and
category levels count only where ``--text-fields`` leaves them out of the text: read twice, as words and as values,
ML-1M's genres lowered validation (EVAL.md, 2026-12-07).

A value counts only where it names at least two catalog items: a value of one item is a second ID embedding,
which the item already has. The term is baked into ``items.lsim`` at export, as the image term is; an item added
in the browser with ``catalog.add()`` gets its text vector alone.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn

from ..model import Recommender, _SpMM
from .catalog import attribute_lists


class AttributeTerm(nn.Module):
    """[N+1, D] mean of the attribute vectors of each item (row 0 and items without a value: zero)."""

    def __init__(self, lists: Sequence[Sequence[int]], count: int, dim: int):
        super().__init__()
        self.emb = nn.Parameter(torch.randn(count, dim) * 0.05)
        rows, cols, vals = [], [], []
        for i, ids in enumerate(lists):
            for a in ids:
                rows.append(i + 1)
                cols.append(a)
                vals.append(1.0 / len(ids))
        m = torch.sparse_coo_tensor(torch.tensor([rows, cols], dtype=torch.long), torch.tensor(vals),
                                    (len(lists) + 1, count)).coalesce()
        self.mean_matrix, self._mean_t = m, m.t().coalesce()  # plain attributes (see ItemTower.mean_matrix)

    def forward(self) -> torch.Tensor:
        if self.training and torch.is_grad_enabled():
            return _SpMM.apply(self.emb, self.mean_matrix, self._mean_t)
        return torch.sparse.mm(self.mean_matrix, self.emb)


def attach_attribute_features(model: Recommender, attrs: Sequence[dict], text_fields: Sequence[str]) -> int:
    """Give ``model.items`` an ``AttributeTerm`` for the catalog extras ``attrs`` (one dict per item; the fields in
    ``text_fields`` are the text tower's, not attributes); returns the number of values used (0: none attached)."""
    lists, vocab = attribute_lists(attrs, text_fields)
    if not vocab:
        return 0
    model.items.attributes = AttributeTerm(lists, len(vocab), model.cfg.dim)
    return len(vocab)
