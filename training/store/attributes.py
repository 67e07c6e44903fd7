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

import re
from collections import Counter
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn as nn

from ..model import Recommender, _SpMM

MIN_ITEMS = 2  # a value must name at least this many catalog items to get a vector
_CAT_SEP = re.compile(r"\s*(?:>|\||/)\s*")


def item_values(extra: dict) -> List[str]:
    """The attribute values of one item's catalog extras (``catalog.json`` ``attrs`` row), deduplicated, in order."""
    out: List[str] = []
    brand = str(extra.get("brand") or "").strip().lower()
    if brand:
        out.append("brand=" + brand)
    for level in _CAT_SEP.split(str(extra.get("category") or "").strip().lower()):
        if level:
            out.append("category=" + level)
    for tag in extra.get("tags") or []:
        out.append("tag=" + str(tag).strip().lower())
    return list(dict.fromkeys(out))


def attribute_lists(attrs: Sequence[dict], min_items: int = MIN_ITEMS) -> Tuple[List[List[int]], List[str]]:
    """Per item (0-based, catalog order) the ids of its values that name ``min_items`` or more items, and the
    vocabulary (id -> value). Empty lists and vocabulary when the catalog has no such value."""
    per_item = [item_values(a or {}) for a in attrs]
    counts = Counter(v for vals in per_item for v in vals)
    vocab = sorted(v for v, c in counts.items() if c >= min_items)
    index: Dict[str, int] = {v: j for j, v in enumerate(vocab)}
    return [[index[v] for v in vals if v in index] for vals in per_item], vocab


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
