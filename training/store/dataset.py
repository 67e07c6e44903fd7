"""Prepare a store's files once into a compact folder, and load that folder as a ``data.Dataset``.

    info = prepare(PrepareOptions(events=..., catalog=..., out=DIR/data))   # read, validate, group, derive recipe
    ds = data.load("store:DIR/data")                                         # what training, export, eval use

The folder (``sequences.npz``, ``catalog.json``, ``image.npy``, ``prepared.json``) holds no user ids: users are
numbered in order of first appearance and the mapping is dropped after grouping. ``load`` is deterministic, so every
DDP process, the exporter and the evaluators rebuild the same split from it.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from .. import data as data_mod
from .catalog import DEFAULT_TEXT_FIELDS, Catalog, attribute_lists, read_catalog
from .errors import InputError, Problems
from .events import EVENT_TYPES, read_events
from .memory import peak_rss_mib
from .recipe import DEFAULT_TYPE_WEIGHTS, Recipe, derive, repeat_share
from .sequences import Ragged, Sequences, build_sequences, lengths_summary
from .split import eval_rows, make_split


@dataclass
class PrepareOptions:
    events: str
    catalog: str
    out: str
    split: str = "loo"
    strict: bool = False
    event_map: dict = field(default_factory=dict)
    ignore_types: bool = False
    text_fields: Sequence[str] = DEFAULT_TEXT_FIELDS
    type_weights: Sequence[float] = DEFAULT_TYPE_WEIGHTS
    name: str = "store"
    attribution: str = "Trained on the store's own interaction log."
    shippable: bool = True
    seed: int = 0


def prepare(opt: PrepareOptions) -> dict:
    """Read and validate both files, group the events, derive the recipe; write ``opt.out``; return the summary."""
    t0 = time.time()
    problems = Problems(strict=opt.strict)
    catalog = read_catalog(opt.catalog, problems, opt.text_fields)
    t_cat = time.time()
    log = read_events(opt.events, catalog.index, problems, opt.event_map, opt.ignore_types)
    t_read = time.time()
    rows_read, mapped, dropped_by_map = log.rows_read, dict(log.mapped), log.dropped_by_map
    seqs = build_sequences(log)
    del log
    lengths = seqs.lengths()
    try:
        split = make_split(seqs, opt.split, None, seed=opt.seed)
    except ValueError as e:
        raise InputError(opt.events, 0, "split_impossible", str(e))
    t_len = split.train_ends - split.train_starts
    n_trained = int(len(np.unique(Ragged(seqs.items, split.train_starts, split.train_ends).concat())))
    recipe = derive(lengths, int(np.maximum(t_len - 1, 0).sum()), n_trained, len(catalog),
                    [1.0] * 4 if opt.ignore_types else opt.type_weights,
                    repeat_share(seqs.items, split.train_starts, split.train_ends), t_len,
                    len(attribute_lists(catalog.attrs, catalog.text_fields)[1]))
    os.makedirs(opt.out, exist_ok=True)
    seqs.save(os.path.join(opt.out, "sequences.npz"))
    _save_catalog(catalog, opt.out)
    type_counts = np.bincount(seqs.types, minlength=5)[1:]
    info = {
        "name": opt.name, "attribution": opt.attribution, "shippable": opt.shippable, "seed": opt.seed,
        "split": opt.split, "recipe": recipe.to_dict(),
        "inputs": {"events": os.path.abspath(opt.events), "catalog": os.path.abspath(opt.catalog),
                   "event_map": opt.event_map, "ignore_types": opt.ignore_types, "strict": opt.strict,
                   "text_fields": list(opt.text_fields)},
        "counts": {"catalog_items": len(catalog), "event_rows": int(rows_read),
                   "event_rows_skipped": int(problems.skipped(opt.events)),
                   "events_dropped_by_map": int(dropped_by_map), "events_kept": int(seqs.events),
                   "events_merged_into_steps": int(seqs.merged),
                   "steps": int(len(seqs.items)), "users": int(seqs.num_users),
                   "items_with_events": int(len(np.unique(seqs.items))),
                   "cold_items": int(len(catalog) - n_trained),
                   "items_without_text": int(sum(1 for t in catalog.texts if not t)),
                   "items_with_image_vector": int(0 if catalog.has_image is None else catalog.has_image.sum()),
                   "steps_by_type": {n: int(c) for n, c in zip(EVENT_TYPES, type_counts)},
                   "events_mapped": mapped, "has_timestamps": seqs.times is not None,
                   "steps_per_user": lengths_summary(lengths)},
        "problems": problems.to_dict(),
        "timing": {"catalog_s": round(t_cat - t0, 2), "events_s": round(t_read - t_cat, 2),
                   "group_s": round(time.time() - t_read, 2),
                   "events_per_s": round(rows_read / max(t_read - t_cat, 1e-9))},  # rows read (kept or not)
        "peak_rss_mib": peak_rss_mib(),
    }
    with open(os.path.join(opt.out, "prepared.json"), "w") as f:
        json.dump(info, f, indent=2)
    return info


def _save_catalog(cat: Catalog, out: str) -> None:
    with open(os.path.join(out, "catalog.json"), "w", encoding="utf-8") as f:
        json.dump({"ids": cat.ids, "titles": cat.titles, "texts": cat.texts, "attrs": cat.attrs}, f,
                  ensure_ascii=False)
    if cat.image is not None:
        np.save(os.path.join(out, "image.npy"), cat.image)


def load_prepared(folder: str, max_users: Optional[int] = None) -> data_mod.Dataset:
    """The ``Dataset`` of a prepared folder (split and caps from its ``prepared.json``)."""
    folder = os.path.abspath(folder)
    info = json.load(open(os.path.join(folder, "prepared.json")))
    cat = json.load(open(os.path.join(folder, "catalog.json"), encoding="utf-8"))
    seqs = Sequences.load(os.path.join(folder, "sequences.npz"))
    if max_users is not None and max_users < seqs.num_users:
        end = seqs.offsets[max_users]
        seqs = Sequences(seqs.offsets[:max_users + 1], seqs.items[:end], seqs.types[:end],
                         None if seqs.times is None else seqs.times[:end], seqs.events, seqs.merged)
    recipe = Recipe.from_dict(info["recipe"])
    sp = make_split(seqs, info["split"], recipe.history_cap, recipe.valid_cap, recipe.test_cap, info["seed"])
    train = Ragged(seqs.items, sp.train_starts, sp.train_ends)
    train_types = Ragged(seqs.types, sp.train_starts, sp.train_ends)
    vh, vt, vy, vyt = eval_rows(seqs, sp.valid_users, sp.valid_ends)
    th, tt, ty, tyt = eval_rows(seqs, sp.test_users, sp.test_ends)
    n = len(cat["ids"])
    counts = np.bincount(train.concat(), minlength=n + 1)
    cold = np.flatnonzero(counts[1:] == 0) + 1
    weights = np.array([0.0] + list(recipe.type_weights), dtype=np.float32)
    image_path = os.path.join(folder, "image.npy")
    extra = {"recipe": recipe, "prepared": info, "split_info": sp.info, "catalog_attrs": cat["attrs"],
             "display_titles": cat["titles"], "refit_rows": Ragged(seqs.items, sp.train_starts, sp.refit_ends),
             "image_vectors": np.load(image_path) if os.path.exists(image_path) else None}
    return data_mod.Dataset(
        name=info["name"], num_items=n, item_ids=cat["ids"], titles=cat["texts"], train=train,
        valid=data_mod.EvalSet(vh, vy, vt, vyt), tests={"test": data_mod.EvalSet(th, ty, tt, tyt)},
        shippable=bool(info["shippable"]), attribution=info["attribution"],
        cold_items=cold if len(cold) else None, extra=extra, train_types=train_types, type_weights=weights,
        source="store:" + folder)

