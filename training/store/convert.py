"""Convert the shared benchmark data (../shared/datasets) into the store format, so they train through the same
command with the same defaults as a store's own log.

    /usr/bin/python3 -m training.store.convert beauty --out training/out/datasets/beauty
    /usr/bin/python3 -m training.store.convert ml1m   --out training/out/datasets/ml1m    # evaluation only

Each writes ``events.csv.gz`` (``user_id,item_id``: no timestamps, file order is time order, one event type) and
``catalog.csv`` (items in the data's own id order, so item k here is item k of training/data.py), and prints the
training command. Output stays under training/out/ (git-ignored): MovieLens may not be redistributed, never commit
or ship anything made from it.

- **beauty**: ``s3rec_Beauty.txt.gz`` sequences, ASINs and titles from ``items.tsv.gz``, and S3-Rec's attribute ids
  (brand and categories, published as numbers only) as ``tags`` (``a17|a4``). Leave-one-out on this log
  is exactly the S3-Rec split of training/data.py.
- **ml1m**: the gSASRec files. A user's log is ``train_input`` (+ ``val_output`` for the 512 validation users) +
  ``test_output``; the shared files lack seq[-2] of the other 5,528 users, so their log skips that one item. Generic
  leave-one-out then tests seq[-1] given everything we have (training/data.py's ``test`` view) but validates on and
  trains one item earlier than the gSASRec split; figures are close to, not the same task as, the published ones.
  Titles are ``title`` with the genres as ``category`` (the text-tower input is "title genre genre", as before).

``--drop-last K`` removes each user's last K events (a user left with none is dropped): the same log K steps
earlier, whose test step is the real log's validation step. A recipe change chosen on that log's test is chosen by
validation alone (EVAL.md, "Accuracy targets": the refit was chosen this way, on ``beauty --drop-last 1``).
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import shlex
from typing import Dict, List

from .. import data as data_mod

ATTRIBUTION = {
    "beauty": "Amazon review data (Beauty 5-core, 2014) by J. McAuley, UCSD; research use. Derived catalog (ASINs, "
              "titles, popularity) shipped with attribution.",
    "ml1m": "MovieLens 1M (GroupLens); research use, no redistribution. Evaluation only.",
}


def _write(out: str, users: List[List[str]], catalog: List[Dict[str, str]], cols: List[str]) -> dict:
    os.makedirs(out, exist_ok=True)
    ev = os.path.join(out, "events.csv.gz")
    with gzip.open(ev, "wt", encoding="utf-8", newline="", compresslevel=6) as f:
        f.write("user_id,item_id\n")
        for u, seq in enumerate(users):
            f.write("".join(f"u{u + 1},{i}\n" for i in seq))
    cat = os.path.join(out, "catalog.csv")
    with open(cat, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(catalog)
    return {"events": ev, "catalog": cat, "users": len(users), "events_n": sum(map(len, users)), "items": len(catalog)}


def _drop_last(users: List[List[str]], k: int) -> List[List[str]]:
    """Each user's log without its last ``k`` events; users left with nothing are dropped."""
    return [s[:len(s) - k] for s in users if len(s) > k] if k else users


def convert_beauty(out: str, drop_last: int = 0) -> dict:
    root = os.path.join(data_mod.DATASETS, "amazon-beauty-5core")
    items: Dict[int, tuple] = {}
    with data_mod._open(os.path.join(root, "items.tsv.gz")) as f:
        f.readline()
        for line in f:
            sid, asin, title = line.rstrip("\n").split("\t", 2)
            items[int(sid)] = (asin, title)
    n = max(items)
    with data_mod._open(os.path.join(root, "s3rec_Beauty.txt.gz")) as f:
        users = [[items[int(x)][0] for x in line.split()[1:]] for line in f if line.strip()]
    with data_mod._open(os.path.join(root, "s3rec_Beauty_item2attributes.json.gz")) as f:
        attrs = json.load(f)  # s3rec item id -> attribute ids (brand and categories, names not published)
    catalog = [{"item_id": items[i][0], "title": items[i][1],
                "tags": "|".join(f"a{a}" for a in attrs.get(str(i), []))} for i in range(1, n + 1)]
    return _write(out, _drop_last(users, drop_last), catalog, ["item_id", "title", "tags"])


def convert_ml1m(out: str, drop_last: int = 0) -> dict:
    root = os.path.join(data_mod.DATASETS, "movielens-1m")
    with data_mod._open(os.path.join(root, "gsasrec_train_input.txt.gz")) as f:
        train = [line.split() for line in f]
    with data_mod._open(os.path.join(root, "gsasrec_val_input.txt")) as f:
        val_in = [line.split() for line in f if line.strip()]
    with data_mod._open(os.path.join(root, "gsasrec_val_output.txt")) as f:
        val_out = [line.split()[0] for line in f if line.strip()]
    with data_mod._open(os.path.join(root, "gsasrec_test_output.txt")) as f:
        test_out = [line.split()[0] for line in f if line.strip()]
    by_prefix = {}
    for u, s in enumerate(train):
        by_prefix.setdefault(tuple(s), u)
    users = [list(s) for s in train]
    for s, o in zip(val_in, val_out):  # validation users: val_input = seq[:-2], train_input = seq[:-3]
        users[by_prefix[tuple(s[:-1])]] = s + [o]
    users = [s + [t] for s, t in zip(users, test_out)]
    meta = {}
    with data_mod._open(os.path.join(root, "sas_items.tsv")) as f:
        f.readline()
        for line in f:
            sid, _mid, title, genres = line.rstrip("\n").split("\t")
            meta[int(sid)] = (title, genres)
    n = max(max(meta), max(int(x) for s in users for x in s))
    catalog = [{"item_id": str(i), "title": meta.get(i, ("", ""))[0], "category": meta.get(i, ("", ""))[1]}
               for i in range(1, n + 1)]
    return _write(out, _drop_last(users, drop_last), catalog, ["item_id", "title", "category"])


def train_command(name: str, res: dict, out_model: str) -> str:
    args = ["/usr/bin/python3", "-m", "training.store", "--events", res["events"], "--catalog", res["catalog"],
            "--out", out_model, "--name", name, "--attribution", ATTRIBUTION[name]]
    if name == "ml1m":
        args.append("--no-redistribution")
    return " ".join(shlex.quote(a) for a in args)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dataset", choices=["beauty", "ml1m"])
    p.add_argument("--out", help="default training/out/datasets/<dataset> (<dataset>-m<K> with --drop-last K)")
    p.add_argument("--drop-last", type=int, default=0, metavar="K",
                   help="remove each user's last K events: the log K steps earlier, for choosing by validation")
    a = p.parse_args(argv)
    if a.drop_last < 0:
        p.error("--drop-last must be >= 0")
    out = a.out or os.path.join("training", "out", "datasets", a.dataset + (f"-m{a.drop_last}" if a.drop_last else ""))
    res = (convert_beauty if a.dataset == "beauty" else convert_ml1m)(out, a.drop_last)
    print(f"{a.dataset}: {res['users']:,} users, {res['events_n']:,} events, {res['items']:,} items -> {out}")
    print("train with:\n  " + train_command(a.dataset, res, os.path.join("training", "out", f"store-{a.dataset}")))


if __name__ == "__main__":
    main()
