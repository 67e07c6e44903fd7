"""Catalog attributes (``brand``, ``category`` levels, ``tags``) as a learned item feature.

``v_i = id_emb[i] + text(i) + mean_a attr_emb[a]`` over the attribute values ``a`` of item ``i``. The text tower
reads the same brand and category words, but a word is shared with every title that uses it, where an attribute
value is one row of its own: "brand=opi" is one vector learned from every OPI product's events, and an item whose
title says little still gets the vector of its brand and categories.

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


def attach_attribute_features(model: Recommender, attrs: Sequence[dict]) -> int:
    """Give ``model.items`` an ``AttributeTerm`` for the catalog extras ``attrs`` (one dict per item); returns the
    number of attribute values used (0: nothing attached)."""
    lists, vocab = attribute_lists(attrs)
    if not vocab:
        return 0
    model.items.attributes = AttributeTerm(lists, len(vocab), model.cfg.dim)
    return len(vocab)
