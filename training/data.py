"""Dataset loaders and leave-one-out splits.

Item ids are 1..N inside the pipeline (0 = padding); row ``i`` of every exported item file is item ``i + 1``.

``amazon-beauty-5core``: ``s3rec_Beauty.txt.gz`` (``user item item ...`` in time order) plus ``items.tsv.gz``
(ASIN + title). Standard leave-one-out: train = seq[:-2], validation = seq[-2] given seq[:-2], test = seq[-1]
given seq[:-1].

``movielens-1m`` (evaluation only, never shipped): the gSASRec split. Training input is seq[:-2] for every user
(seq[:-3] for the 512 validation users); validation = those 512 users, seq[-2] given seq[:-2]; test = seq[-1] for
all 6,040 users. The second-to-last item of the 5,528 other users is not in the shared files, so two test views:
``test`` (all users, history = everything we have: seq[:-2], or seq[:-1] for validation users; one item is
skipped for most users, a slightly harder task than the papers') and ``test_exact`` (the 512 validation users,
history = seq[:-1], exactly the papers' protocol on a subset). See training/README.md.
"""
from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

SHARED = os.environ.get(
    "LOCALSHELF_SHARED", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
)
DATASETS = os.path.join(SHARED, "datasets")


@dataclass
class EvalSet:
    histories: Sequence[Sequence[int]]  # lists, or store.sequences.Ragged rows (numpy views)
    targets: np.ndarray  # int64 [U]
    types: Optional[Sequence[Sequence[int]]] = None  # event type per history step (1..4), None = all views
    target_types: Optional[np.ndarray] = None  # int8 [U] event type of each target step


@dataclass
class Dataset:
    name: str
    num_items: int
    item_ids: List[str]  # external ids, index i = item i+1
    titles: List[str]  # text fed to the text tower, index i = item i+1
    train: List[List[int]]  # training sequences (time order)
    valid: EvalSet
    tests: Dict[str, EvalSet]  # "test" always present
    shippable: bool  # False: license forbids redistribution
    attribution: str
    cold_items: Optional[np.ndarray] = None  # item ids held out of training (cold-start variant)
    extra: Dict[str, object] = field(default_factory=dict)
    # store logs (training/store): event types per training step, loss weight per target type (index = type id),
    # and the name ``load`` rebuilds this data set from (saved in checkpoints)
    train_types: Optional[Sequence[Sequence[int]]] = None
    type_weights: Optional[np.ndarray] = None
    source: Optional[str] = None

    def popularity(self) -> np.ndarray:
        """Interaction count per item (index i = item i+1) over the training sequences."""
        if hasattr(self.train, "concat"):  # compact rows (store logs): one bincount
            return np.bincount(self.train.concat(), minlength=self.num_items + 1)[1:].astype(np.int64)
        counts = np.zeros(self.num_items + 1, dtype=np.int64)
        for s in self.train:
            np.add.at(counts, np.asarray(s, dtype=np.int64), 1)
        return counts[1:]


def _open(path: str):
    return gzip.open(path, "rt", encoding="utf-8") if path.endswith(".gz") else open(path, encoding="utf-8")


def load_beauty(max_users: Optional[int] = None) -> Dataset:
    root = os.path.join(DATASETS, "amazon-beauty-5core")
    seqs: List[List[int]] = []
    with _open(os.path.join(root, "s3rec_Beauty.txt.gz")) as f:
        for line in f:
            parts = line.split()
            if parts:
                seqs.append([int(x) for x in parts[1:]])
    ids: Dict[int, tuple] = {}
    with _open(os.path.join(root, "items.tsv.gz")) as f:
        header = f.readline()
        assert header.startswith("s3rec_item_id"), header
        for line in f:
            sid, asin, title = line.rstrip("\n").split("\t", 2)
            ids[int(sid)] = (asin, title)
    n = max(ids)
    assert sorted(ids) == list(range(1, n + 1)), "items.tsv must cover 1..N"
    if max_users is not None:
        seqs = seqs[:max_users]
    train = [s[:-2] for s in seqs]
    valid = EvalSet([s[:-2] for s in seqs], np.array([s[-2] for s in seqs], dtype=np.int64))
    test = EvalSet([s[:-1] for s in seqs], np.array([s[-1] for s in seqs], dtype=np.int64))
    return Dataset(
        name="beauty",
        num_items=n,
        item_ids=[ids[i][0] for i in range(1, n + 1)],
        titles=[ids[i][1] for i in range(1, n + 1)],
        train=train,
        valid=valid,
        tests={"test": test},
        shippable=True,
        attribution=(
            "Amazon review data (Beauty 5-core, 2014) by J. McAuley, UCSD; research use. "
            "Derived catalog (ASINs, titles, popularity) shipped with attribution."
        ),
    )


def load_ml1m(max_users: Optional[int] = None) -> Dataset:
    root = os.path.join(DATASETS, "movielens-1m")
    with _open(os.path.join(root, "gsasrec_train_input.txt.gz")) as f:
        train = [[int(x) for x in line.split()] for line in f]
    with _open(os.path.join(root, "gsasrec_val_input.txt")) as f:
        val_in = [[int(x) for x in line.split()] for line in f]
    with _open(os.path.join(root, "gsasrec_val_output.txt")) as f:
        val_out = [int(line.split()[0]) for line in f if line.strip()]
    with _open(os.path.join(root, "gsasrec_test_output.txt")) as f:
        test_out = [int(line.split()[0]) for line in f if line.strip()]
    titles: Dict[int, str] = {}
    with _open(os.path.join(root, "sas_items.tsv")) as f:
        f.readline()
        for line in f:
            sid, _mid, title, genres = line.rstrip("\n").split("\t")
            titles[int(sid)] = f"{title} {genres.replace('|', ' ')}"
    n = max(max(titles), max(max(s) for s in train if s))
    assert len(train) == len(test_out) == 6040
    # The validation file does not name its users: val_input = seq[:-2] and that user's train_input = seq[:-3].
    by_prefix: Dict[tuple, int] = {}
    for u, s in enumerate(train):
        by_prefix.setdefault(tuple(s), u)
    val_users = []
    for s in val_in:
        u = by_prefix.get(tuple(s[:-1]))
        if u is None:
            raise ValueError("a validation sequence does not extend any training sequence")
        val_users.append(u)
    history = [list(s) for s in train]
    for u, s, o in zip(val_users, val_in, val_out):
        history[u] = s + [o]  # seq[:-1]
    users = list(range(len(train))) if max_users is None else list(range(max_users))
    keep = set(users)
    vu = [i for i, u in enumerate(val_users) if u in keep]
    valid = EvalSet([val_in[i] for i in vu], np.array([val_out[i] for i in vu], dtype=np.int64))
    test = EvalSet([history[u] for u in users], np.array([test_out[u] for u in users], dtype=np.int64))
    exact = EvalSet([history[val_users[i]] for i in vu], np.array([test_out[val_users[i]] for i in vu], dtype=np.int64))
    # Training sequences: seq[:-2] for everybody; for the validation users train_input stops one item earlier
    # (seq[:-3]) exactly as in gSASRec, so their validation item is never trained on.
    return Dataset(
        name="ml1m",
        num_items=n,
        item_ids=[str(i) for i in range(1, n + 1)],
        titles=[titles.get(i, "") for i in range(1, n + 1)],
        train=[train[u] for u in users],
        valid=valid,
        tests={"test": test, "test_exact": exact},
        shippable=False,
        attribution="MovieLens 1M (GroupLens); research use, no redistribution. Evaluation only.",
        extra={"val_users": [val_users[i] for i in vu]},
    )


def load(name: str, max_users: Optional[int] = None) -> Dataset:
    """``beauty``, ``ml1m``, or ``store:<folder>`` (a log prepared by ``python3 -m training.store``)."""
    if name.startswith("store:"):
        from .store.dataset import load_prepared
        return load_prepared(name[len("store:"):], max_users)
    if name in ("beauty", "amazon-beauty-5core"):
        return load_beauty(max_users)
    if name in ("ml1m", "movielens-1m"):
        return load_ml1m(max_users)
    raise ValueError(f"unknown dataset {name!r}")


def hold_out_cold_items(ds: Dataset, fraction: float = 0.1, seed: int = 0) -> Dataset:
    """Cold-start variant: a random ``fraction`` of items never appears in training, neither as input nor target.

    The held-out items are deleted from the training sequences (the neighbours around them become adjacent),
    so their ID embeddings receive no gradient and are exported as zeros: their vectors come from text alone.
    Validation/test histories keep them (as a shopper's history would); their vectors are then text-only too.
    """
    rng = np.random.default_rng(seed)
    cold = np.sort(rng.choice(np.arange(1, ds.num_items + 1), size=int(round(fraction * ds.num_items)), replace=False))
    is_cold = np.zeros(ds.num_items + 1, dtype=bool)
    is_cold[cold] = True
    train = [[i for i in s if not is_cold[i]] for s in ds.train]
    return Dataset(
        name=ds.name + "-cold",
        num_items=ds.num_items,
        item_ids=ds.item_ids,
        titles=ds.titles,
        train=train,
        valid=ds.valid,
        tests=ds.tests,
        shippable=ds.shippable,
        attribution=ds.attribution,
        cold_items=cold,
        extra=dict(ds.extra),
    )
