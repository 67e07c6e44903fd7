"""Read a store catalog (CSV or JSON Lines): ``item_id`` plus optional ``title``, ``description``, ``category``,
``brand``, ``tags``, ``price``, ``image_vector`` and any free attribute columns.

The text the model reads for an item (its text-tower input) is ``title``, then ``brand`` unless the title already
contains it, then the ``category`` path with its separators (``>``, ``|``, ``/``) turned into spaces; ``description``
joins only with ``text_fields`` including it. An item with none of these trains from its ID alone (notice
``no_text``). Items are numbered 1..N in file order (0 = padding), as everywhere in the pipeline.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .errors import Problems
from .table import open_table

KNOWN = ("item_id", "title", "description", "category", "brand", "tags", "price", "image_vector")
DEFAULT_TEXT_FIELDS = ("title", "brand", "category")
_CAT_SEP = re.compile(r"\s*(?:>|\||/)\s*")
_VEC_SPLIT = re.compile(r"[\s,;]+")
_TAG_SEP = re.compile(r"\s*[|;]\s*")
ATTRIBUTE_MIN_ITEMS = 2  # an attribute value must name at least this many catalog items to get a vector


@dataclass
class Catalog:
    ids: List[str]  # index i = item i+1
    titles: List[str]  # display title ('' when absent)
    texts: List[str]  # text-tower input
    attrs: List[dict]  # catalog.json extras per item: category, brand, tags[], price, attrs{...}
    image: Optional[np.ndarray] = None  # float32 [N, W]; rows of items without a vector are zero
    has_image: Optional[np.ndarray] = None  # bool [N]
    index: Dict[str, int] = field(default_factory=dict)  # external id -> item id (1-based)
    text_fields: Sequence[str] = DEFAULT_TEXT_FIELDS

    def __len__(self) -> int:
        return len(self.ids)


def _s(v) -> str:
    if v is None:
        return ""
    return v.strip() if isinstance(v, str) else str(v)


def item_text(title: str, brand: str, category: str, description: str, fields: Sequence[str]) -> str:
    parts = []
    if "title" in fields and title:
        parts.append(title)
    if "brand" in fields and brand and brand.lower() not in title.lower():
        parts.append(brand)
    if "category" in fields and category:
        parts.append(" ".join(p for p in _CAT_SEP.split(category) if p))
    if "description" in fields and description:
        parts.append(description)
    return " ".join(parts)


def split_tags(raw) -> List[str]:
    """``tags`` cell -> labels: a JSON list as is, a string split on ``|`` or ``;``; empty labels dropped."""
    if raw is None:
        return []
    if isinstance(raw, (list, tuple)):
        parts = [str(p).strip() for p in raw]
    else:
        parts = _TAG_SEP.split(str(raw).strip())
    return [p for p in parts if p]


def item_values(extra: dict, text_fields: Sequence[str] = DEFAULT_TEXT_FIELDS) -> List[str]:
    """The attribute values of one item's catalog extras (``catalog.json`` ``attrs`` row), deduplicated, in order:
    its tags, and its brand and category levels where ``text_fields`` leaves them out of the text (the text tower
    reads them otherwise: on ML-1M the genres as vectors too lowered validation, EVAL.md)."""
    out: List[str] = []
    brand = str(extra.get("brand") or "").strip().lower()
    if brand and "brand" not in text_fields:
        out.append("brand=" + brand)
    for level in _CAT_SEP.split(str(extra.get("category") or "").strip().lower()):
        if level and "category" not in text_fields:
            out.append("category=" + level)
    for tag in extra.get("tags") or []:
        out.append("tag=" + str(tag).strip().lower())
    return list(dict.fromkeys(out))


def attribute_lists(attrs: Sequence[dict], text_fields: Sequence[str] = DEFAULT_TEXT_FIELDS,
                    min_items: int = ATTRIBUTE_MIN_ITEMS) -> Tuple[List[List[int]], List[str]]:
    """Per item (0-based, catalog order) the ids of its values (``item_values``) that name ``min_items`` or more
    items, and the vocabulary (id -> value). Empty lists and vocabulary when the catalog has no such value."""
    per_item = [item_values(a or {}, text_fields) for a in attrs]
    counts = Counter(v for vals in per_item for v in vals)
    vocab = sorted(v for v, c in counts.items() if c >= min_items)
    index: Dict[str, int] = {v: j for j, v in enumerate(vocab)}
    return [[index[v] for v in vals if v in index] for vals in per_item], vocab


def _vector(raw) -> Optional[List[float]]:
    if isinstance(raw, list):
        vals = raw
    else:
        s = _s(raw)
        if not s:
            return None
        if s.startswith("["):
            vals = json.loads(s)
        else:
            vals = [float(x) for x in _VEC_SPLIT.split(s) if x]
    out = [float(x) for x in vals]
    if not out or not all(math.isfinite(x) for x in out):
        raise ValueError("not finite")
    return out


def read_catalog(path: str, problems: Problems, text_fields: Sequence[str] = DEFAULT_TEXT_FIELDS) -> Catalog:
    table = open_table(path, required=("item_id",), problems=problems)
    get = {k: table.getter(k) for k in KNOWN}
    cat = Catalog(ids=[], titles=[], texts=[], attrs=[], text_fields=tuple(text_fields))
    vectors: Dict[int, List[float]] = {}
    width = None
    try:
        for line, rec in table.rows():
            iid = _s(get["item_id"](rec))
            if not iid:
                problems.add(path, line, "missing_value", "item_id is empty")
                continue
            if iid in cat.index:
                problems.add(path, line, "duplicate_item", f"item_id {iid!r} already appeared (first row kept)")
                continue
            title, brand = _s(get["title"](rec)), _s(get["brand"](rec))
            category, desc = _s(get["category"](rec)), _s(get["description"](rec))
            extra: dict = {}
            if category:
                extra["category"] = category
            if brand:
                extra["brand"] = brand
            tags = split_tags(get["tags"](rec))
            if tags:
                extra["tags"] = tags
            price = get["price"](rec)
            if _s(price):
                try:
                    p = float(_s(price).lstrip("$€£¥").replace(",", ""))
                    if not math.isfinite(p):
                        raise ValueError
                    extra["price"] = p
                except ValueError:
                    problems.add(path, line, "bad_price", f"price {_s(price)[:40]!r} is not a number")
            free = {k: v for k, v in table.record_dict(rec).items()
                    if k not in KNOWN and k and v not in (None, "") and isinstance(v, (str, int, float, bool))}
            if free:
                extra["attrs"] = free
            raw = get["image_vector"](rec)
            if raw not in (None, ""):
                try:
                    vec = _vector(raw)
                    if vec is not None and width is not None and len(vec) != width:
                        raise ValueError(f"width {len(vec)}, the catalog's is {width}")
                    if vec is not None:
                        width = len(vec)
                        vectors[len(cat.ids)] = vec
                except (ValueError, TypeError) as e:
                    problems.add(path, line, "bad_image_vector", f"image_vector unusable: {str(e)[:80]}")
            text = item_text(title, brand, category, desc, cat.text_fields)
            if not text:
                problems.add(path, line, "no_text", f"item {iid!r} has no text: ID-only")
            cat.index[iid] = len(cat.ids) + 1
            cat.ids.append(iid)
            cat.titles.append(title)
            cat.texts.append(text)
            cat.attrs.append(extra)
    finally:
        table.close()
    if not cat.ids:
        problems.add(path, 0, "empty_file", "the catalog has no usable item rows")
    if vectors:
        cat.image = np.zeros((len(cat.ids), width), dtype=np.float32)
        cat.has_image = np.zeros(len(cat.ids), dtype=bool)
        for i, v in vectors.items():
            cat.image[i] = v
            cat.has_image[i] = True
    return cat
