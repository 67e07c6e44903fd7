"""Precomputed image vectors (catalog ``image_vector``, any width) as an extra item feature.

``v_i = id_emb[i] + text(i) + W_img · z_i`` where ``z_i`` is the item's image vector standardized over the catalog
(items without one get zeros). ``W_img`` is learned. The term is baked into ``items.lsim`` at export; an item added
in the browser with ``catalog.add()`` has no image vector and gets its text vector alone, as before.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from ..model import ItemTower, Recommender


class ImageItemTower(ItemTower):
    """ItemTower plus a learned projection of fixed image vectors (buffer ``image_vectors`` [N+1, W])."""

    def forward(self, id_keep=None) -> torch.Tensor:
        return super().forward(id_keep) + self.image_proj(self.image_vectors)


def standardize(image: np.ndarray) -> np.ndarray:
    """Columns to zero mean / unit variance over rows that have a vector; all-zero rows stay zero."""
    x = np.asarray(image, dtype=np.float32)
    has = np.abs(x).sum(1) > 0
    if not has.any():
        return x
    mu, sd = x[has].mean(0), x[has].std(0) + 1e-6
    out = np.zeros_like(x)
    out[has] = (x[has] - mu) / sd
    return out


def attach_image_features(model: Recommender, image: np.ndarray) -> None:
    """Turn ``model.items`` into an ``ImageItemTower`` in place (its other parameters are kept)."""
    tower = model.items
    z = torch.from_numpy(np.concatenate([np.zeros((1, image.shape[1]), np.float32), standardize(image)]))
    tower.__class__ = ImageItemTower
    tower.register_buffer("image_vectors", z, persistent=True)
    tower.image_proj = nn.Linear(z.shape[1], tower.cfg.dim, bias=False)
    nn.init.normal_(tower.image_proj.weight, std=0.02 / max(1.0, z.shape[1] ** 0.5))
