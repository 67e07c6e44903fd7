"""Item-table updates: what an update through the signed channel carries besides LoRA (docs/adapter-format.md,
format version 2).

An update is trained on a frozen base with ``train_adapter(..., item_rows=True)``: LoRA on the encoder, a per-item
score bias, and a delta for every item row (zeros at start, so a fresh update is the base). What ships is cut to a
byte budget: the rows whose delta is largest, re-quantized as the browser holds them (int8 with a per-row scale,
docs/artifacts.md ``items.lsim``), plus rows for new products with their catalog entries, and removed rows. The
evaluation here applies the file exactly as the engine does: the base's int8 matrix with the shipped rows replaced.

Tensors of an item-table update (all optional, but ``items.q`` and ``items.scale`` come together):

| name | dtype | shape | meaning |
|---|---|---|---|
| ``items.rows`` | int32 | [K] | base rows replaced, strictly increasing, each < numItems |
| ``items.q`` | int8 | [K + M, D] | the replaced rows, then the M new items' rows (``newItems`` order) |
| ``items.scale`` | float32 | [K + M] | their per-row scales |
| ``items.removed`` | int32 | [R] | rows no longer recommended or found, strictly increasing |
| ``item_bias`` | float32 | [numItems + M] | per-item score bias |

Header: ``baseItems`` = sha256 of the base's ``items.lsim`` (the rows are bound to it as LoRA is to the encoder),
``newItems`` = the M catalog entries ``{"id", "title", "popularity"}`` appended as rows numItems … numItems + M - 1.
"""
from __future__ import annotations

import os
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from . import lsim
from .adapter import LoraAdapter, encode_lsad

ROW_OVERHEAD = 8  # bytes per shipped row besides its D int8 values: the int32 row index and the float32 scale


def row_bytes(dim: int) -> int:
    return dim + ROW_OVERHEAD


def model_folder_bytes(folder: str, manifest: dict) -> int:
    """Bytes a browser downloads for a model folder: manifest.json and every file its sha256 lists (what an
    update's size is a fraction of)."""
    return os.path.getsize(os.path.join(folder, "manifest.json")) + sum(
        os.path.getsize(os.path.join(folder, f)) for f in manifest["sha256"])


def rows_for_budget(budget_bytes: int, fixed_bytes: int, dim: int, limit: int) -> int:
    """How many changed rows fit in ``budget_bytes`` once ``fixed_bytes`` (header, bias, LoRA, padding) are spent."""
    return int(max(0, min(limit, (budget_bytes - fixed_bytes) // row_bytes(dim))))


def rows_by_count(counts: np.ndarray, k: int, tiebreak: Optional[np.ndarray] = None) -> np.ndarray:
    """0-based rows (sorted) of the ``k`` items seen most in the newer data (``counts`` [N]; ties by ``tiebreak``,
    then lower row): chosen before training, so the update learns with exactly the rows that ship."""
    k = int(min(k, len(counts)))
    if k <= 0:
        return np.zeros(0, dtype=np.int32)
    keys = (np.arange(len(counts)),) + ((-tiebreak,) if tiebreak is not None else ()) + (-counts,)
    return np.sort(np.lexsort(keys)[:k]).astype(np.int32)


def select_rows(adapter: LoraAdapter, k: int) -> np.ndarray:
    """0-based item rows (sorted) that ship: the trainable rows when training was restricted to them, else the
    ``k`` largest row deltas (L2 norm)."""
    if adapter.item_delta is None or k <= 0:
        return np.zeros(0, dtype=np.int32)
    mask = getattr(adapter, "row_mask", None)
    if mask is not None:
        rows = np.flatnonzero(mask[:, 0].cpu().numpy() > 0).astype(np.int32)
        return rows[:k] if len(rows) > k else rows
    norms = adapter.item_delta.detach().norm(dim=1).cpu().numpy()
    k = min(k, int((norms > 0).sum()))
    top = np.argpartition(-norms, k - 1)[:k] if k > 0 else np.zeros(0, dtype=np.int64)
    return np.sort(top).astype(np.int32)


def new_rows(base_fp32: np.ndarray, adapter: LoraAdapter, rows: np.ndarray) -> np.ndarray:
    """fp32 vectors [K, D] of the chosen rows after the update (base row + delta); ``base_fp32`` is [N, D]."""
    delta = adapter.item_delta.detach().cpu().numpy()
    return (base_fp32[rows] + delta[rows]).astype(np.float32)


def update_tensors(adapter: LoraAdapter, rows: np.ndarray, vectors: np.ndarray, include_lora: bool = True,
                   new_vectors: Optional[np.ndarray] = None, removed: Sequence[int] = ()) -> List[Tuple[str, np.ndarray]]:
    """The file's tensors: LoRA pairs (when ``include_lora``), the item-table tensors and ``item_bias`` (the
    adapter's, which covers the base rows and then the new ones)."""
    out: List[Tuple[str, np.ndarray]] = []
    if include_lora:
        out += [(n, a) for n, a in adapter.tensors() if n.startswith("lora.")]
    table = vectors if new_vectors is None else np.concatenate([vectors, new_vectors], 0)
    if len(rows):
        out.append(("items.rows", np.asarray(rows, dtype=np.int32)))
    if len(table):
        q, s = lsim.quantize_rows(table)
        out += [("items.q", q), ("items.scale", s)]
    if len(removed):
        out.append(("items.removed", np.asarray(sorted(removed), dtype=np.int32)))
    if adapter.item_bias is not None:
        out.append(("item_bias", adapter.item_bias.detach().cpu().numpy().astype(np.float32)))
    return out


def encode_update(version: int, base_sha: str, items_sha: str, rank: int, tensors: Sequence[Tuple[str, np.ndarray]],
                  new_items: Sequence[dict] = (), meta: Optional[Dict[str, str]] = None) -> bytes:
    extra: dict = {}
    if any(n.startswith("items.") for n, _ in tensors) or new_items:
        extra["baseItems"] = items_sha
    if new_items:
        extra["newItems"] = [dict(e) for e in new_items]
    return encode_lsad(version, base_sha, rank, tensors, meta, extra or None)


def apply_update(base_table: np.ndarray, header: dict, tensors: Dict[str, np.ndarray]
                 ) -> Tuple[np.ndarray, Optional[np.ndarray], np.ndarray]:
    """What the engine runs on after the swap: the item table [N + M, D] (the base's int8 rows, the shipped rows
    replaced, new rows appended, all dequantized), the bias [N + M] or None, and a removed mask [N + M]."""
    n, d = base_table.shape
    new = header.get("newItems") or []
    table = np.concatenate([base_table, np.zeros((len(new), d), np.float32)], 0)
    rows = tensors.get("items.rows", np.zeros(0, np.int32)).astype(np.int64)
    if "items.q" in tensors:
        deq = tensors["items.q"].astype(np.float32) * tensors["items.scale"][:, None]
        if len(deq) != len(rows) + len(new):
            raise ValueError(f"items.q has {len(deq)} rows; items.rows + newItems = {len(rows) + len(new)}")
        table[rows] = deq[:len(rows)]
        table[n:] = deq[len(rows):]
    removed = np.zeros(n + len(new), dtype=bool)
    removed[tensors.get("items.removed", np.zeros(0, np.int32)).astype(np.int64)] = True
    return table, tensors.get("item_bias"), removed


def torch_table(table: np.ndarray) -> torch.Tensor:
    """[N, D] numpy → [N+1, D] torch with the padding row 0, as the pipeline's item tables."""
    return torch.cat([torch.zeros(1, table.shape[1]), torch.from_numpy(np.ascontiguousarray(table, np.float32))])
