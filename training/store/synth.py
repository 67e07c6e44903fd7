"""A seeded synthetic multi-behaviour store log, for tests, the example, the scale benchmark and the event-type study.

    /usr/bin/python3 -m training.store.synth --users 5000 --items 2000 --out training/out/synth-store --seed 0
    /usr/bin/python3 -m training.store.synth --events 10000000 --items 100000 --out training/out/synth-10m --gzip

Writes ``events.csv`` (``user_id,item_id,timestamp,event_type``; rows in time order) and ``catalog.csv``
(``item_id,title,category,brand,price,color[,image_vector]``) into ``--out``.

How shoppers behave (what a model can learn, and what event types tell it):
- The catalog is a department > aisle > shelf taxonomy (``synth_taxonomy.py``); items inside a shelf and shelves
  inside the store have Zipf-like popularity, so there is a long tail with many 1-event items. 2 % of the items are
  new arrivals that never appear in the log (cold-start items), 1.5 % have no text at all (ID-only rows).
- Every shopper has three favourite shelves. History lengths are heavy-tailed: sessions per shopper follow a
  log-normal (median 2, some shoppers have hundreds), 1-30 product visits a session.
- A session has a mission shelf: a favourite (85 %) or any popular shelf. A visit on it is a view, then a click,
  add_to_cart and purchase (60 % of carts): consecutive events on one item. Every shopper likes two of the eight
  brands of each department; 30 % of visits filter the shelf by them, and the funnel depends on the match: a liked
  brand is clicked 80 % of the time and carted after 40 % of clicks, another brand 30 % and 12 %. So a view of
  something never clicked is mostly a "no", a click or cart a "yes" about the shopper's taste.
- A purchase sends the shopper to a complement of what was bought (phone -> case, grinder -> beans): 60 % of the
  time for the rest of the session, and 65 % of the time for the next session's mission. An item carted and not
  bought brings half of the shoppers back to it at the start of their next session (where 70 % buy it).
- 20 % of visits are bounces on a popular product anywhere in the store (a banner, a search miss): a view and
  rarely more. So a view says little, a cart says "coming back for this", a purchase says "done: accessories next";
  a model that ignores event types cannot tell a bought phone from a browsed one.
- Timestamps: shoppers start over 150 days, sessions are exponentially spaced (mean 3 days), events 20-240 s apart.
- ``--launches F`` (default 0): a fraction F of the items launch during the log (uniform between day 60 and day
  170): no event on them before their launch (a draw of an unlaunched item is drawn again), so a model trained on
  an earlier window has never seen them. The freshness study on a time split uses it (training/store/freshness_time.py).
"""
from __future__ import annotations

import argparse
import bisect
import csv
import gzip
import io
import itertools
import json
import os
import random
import time
from array import array
from typing import List, Optional

import numpy as np

from .synth_taxonomy import ADJECTIVES, COLORS, COMPLEMENTS, SYLLABLES, TAXONOMY, VARIANTS

EVENTS = ("view", "click", "add_to_cart", "purchase")
T0 = 1_704_067_200  # 2024-01-01T00:00:00Z


def _zipf_cum(n: int, s: float, rng: random.Random) -> List[float]:
    w = [1.0 / (r + 1) ** s for r in range(n)]
    rng.shuffle(w)
    return list(itertools.accumulate(w))


class Store:
    """The catalog and the sampling tables the shoppers draw from."""

    def __init__(self, n_items: int, rng: random.Random, image_dim: int = 0, launches: float = 0.0, seed: int = 0):
        shelves = [(d, a, s, noun, price) for d, aisles in TAXONOMY.items() for a, lst in aisles.items()
                   for (s, noun, price) in lst]
        self.shelf_names = [s[2] for s in shelves]
        brands = {d: ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
                      for _ in range(8)] for d in TAXONOMY}
        shelf_cum = _zipf_cum(len(shelves), 0.8, rng)
        self.shelf_cum = shelf_cum
        self.rows, self.items_of, self.item_brand = [], [[] for _ in shelves], []
        self.by_brand = [[[] for _ in range(8)] for _ in shelves]
        nprng = np.random.default_rng(rng.randrange(2**32))
        centers = nprng.normal(size=(len(shelves), max(image_dim, 1)))
        for i in range(n_items):
            k = bisect.bisect(shelf_cum, rng.random() * shelf_cum[-1])
            d, a, s, noun, price = shelves[k]
            b = rng.randrange(8)
            brand = brands[d][b]
            title = " ".join(x for x in (brand, rng.choice(ADJECTIVES[d]), noun, rng.choice(VARIANTS)) if x)
            row = {"item_id": f"SKU-{i:06d}", "title": title, "category": f"{d} > {a} > {s}", "brand": brand,
                   "price": f"{price * rng.lognormvariate(0, 0.35):.2f}", "color": rng.choice(COLORS)}
            if rng.random() < 0.015:  # ID-only row
                row.update(title="", category="", brand="")
            if image_dim:
                vec = centers[k, :image_dim] + 0.5 * nprng.normal(size=image_dim)
                row["image_vector"] = " ".join(f"{x:.3f}" for x in vec)
            self.rows.append(row)
            self.item_brand.append(b)
            if rng.random() >= 0.02:  # 2 % new arrivals: in the catalog, never in the log
                self.items_of[k].append(i)
                self.by_brand[k][b].append(i)
        self.shelf_items_cum = [_zipf_cum(len(lst), 1.1, rng) for lst in self.items_of]
        live = [i for lst in self.items_of for i in lst]
        self.all_items, self.all_cum = live, _zipf_cum(len(live), 1.05, rng)
        self.shelf_of = {s: k for k, s in enumerate(self.shelf_names)}
        lr = random.Random(seed * 7919 + 17)  # its own stream: without launches the log is what it always was
        self.launch = {i: T0 + int((60 + 110 * lr.random()) * 86400) for i in range(n_items) if lr.random() < launches}
        self.item_shelf = {}
        for k, lst in enumerate(self.items_of):
            for i in lst:
                self.item_shelf[i] = k

    def shelf(self, rng: random.Random) -> int:
        while True:
            k = bisect.bisect(self.shelf_cum, rng.random() * self.shelf_cum[-1])
            if self.items_of[k]:
                return k

    def item_on(self, k: int, rng: random.Random) -> int:
        cum = self.shelf_items_cum[k]
        return self.items_of[k][bisect.bisect(cum, rng.random() * cum[-1])]

    def liked_item(self, k: int, liked, rng: random.Random) -> Optional[int]:
        """A uniform pick among shelf ``k``'s items of the brands the shopper likes (None when it has none)."""
        pool = [i for b in liked for i in self.by_brand[k][b]]
        return rng.choice(pool) if pool else None

    def popular_item(self, rng: random.Random) -> int:
        return self.all_items[bisect.bisect(self.all_cum, rng.random() * self.all_cum[-1])]


def _depth(rng: random.Random, p_click: float, p_cart: float = 0.3, p_buy: float = 0.6) -> int:
    """How far down the funnel one visit goes: 1 view, 2 click, 3 add_to_cart, 4 purchase."""
    if rng.random() >= p_click:
        return 1
    if rng.random() >= p_cart:
        return 2
    return 4 if rng.random() < p_buy else 3


def simulate(store: Store, n_users: int, rng: random.Random):
    """Arrays (user, item, time s, type 1..4) in time order."""
    users, items, times, types = array("i"), array("i"), array("q"), array("b")
    launch = store.launch

    def on_sale(draw, t: int) -> Optional[int]:
        """A draw of an item launched by ``t`` (up to 20 tries; None: the visit does not happen)."""
        for _ in range(20):
            i = draw()
            if i is None or launch.get(i, 0) <= t:
                return i
        return None

    def emit(u: int, item: int, depth: int, t: int) -> int:
        for e in range(1, depth + 1):
            t += rng.randint(20, 240)
            users.append(u)
            items.append(item)
            times.append(t)
            types.append(e)
        return t

    for u in range(n_users):
        fav = [store.shelf(rng) for _ in range(3)]
        liked = {rng.randrange(8), rng.randrange(8)}  # brand slots this shopper likes (in every department)
        t = T0 + int(rng.random() * 150 * 86400)
        nxt, abandoned = None, None
        for _ in range(1 + min(int(rng.lognormvariate(0.7, 1.1)), 400)):
            r = rng.random()
            if nxt is not None and r < 0.65:
                k = nxt
            elif r < 0.85:
                k = rng.choices(fav, weights=(0.5, 0.3, 0.2))[0]
            else:
                k = store.shelf(rng)
            nxt = None
            if abandoned is not None and rng.random() < 0.5:  # back for what was left in the cart
                t = emit(u, abandoned, _depth(rng, 0.9, 0.9, 0.7), t)
            abandoned = None
            for _ in range(min(1 + int(rng.expovariate(1 / 2.0)), 30)):
                bounce = rng.random() < 0.2
                item = on_sale(lambda: store.popular_item(rng) if bounce else store.item_on(k, rng), t)
                if not bounce and rng.random() < 0.3:  # the shopper filters the shelf by a liked brand
                    item = on_sale(lambda: store.liked_item(k, liked, rng), t) or item
                if item is None:
                    continue
                match = store.item_brand[item] in liked
                depth = 1 if bounce and rng.random() < 0.95 else _depth(rng, 0.8 if match else 0.3,
                                                                          0.4 if match else 0.12)
                t = emit(u, item, depth, t)
                if depth == 3:
                    abandoned = item
                elif depth == 4:
                    comp = COMPLEMENTS.get(store.shelf_names[store.item_shelf[item]])
                    c = store.shelf_of[rng.choice(comp)] if comp else None
                    if c is not None and store.items_of[c]:
                        nxt = c
                        if rng.random() < 0.6:  # accessories right after the purchase, same session
                            k = c
            t += int(rng.expovariate(1 / (3 * 86400)))
    order = np.argsort(np.frombuffer(times, dtype=np.int64), kind="stable")
    return (np.frombuffer(users, dtype=np.int32)[order], np.frombuffer(items, dtype=np.int32)[order],
            np.frombuffer(times, dtype=np.int64)[order], np.frombuffer(types, dtype=np.int8)[order])


def _open_out(path: str):
    return gzip.open(path, "wb", compresslevel=1) if path.endswith(".gz") else open(path, "wb")


def _fmt_time(t: int, fmt: str) -> str:
    if fmt == "ms":
        return str(t * 1000)
    if fmt == "s":
        return str(t)
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


BAD_EVENT_LINES = [  # one of each problem the reader must report (docs/own-data.md)
    b"u-bad-1,SKU-999999,2024-03-01T10:00:00Z,view\n",  # unknown item
    b"u-bad-2,SKU-000001,yesterday,view\n",  # bad timestamp
    b"u-bad-3,SKU-000001,2024-03-01T10:00:00Z,wishlist\n",  # unknown event type
    b"u-bad-4,SKU-000001\n",  # wrong field count
    b"u-bad-\xff\xfe,SKU-000001,2024-03-01T10:00:00Z,view\n",  # not UTF-8
    b",SKU-000001,2024-03-01T10:00:00Z,view\n",  # empty user id
]


def write_events(path: str, arrays, fmt: str = "csv", time_format: str = "iso", bad_rows: bool = False,
                 seed: int = 0) -> int:
    users, items, times, types = arrays
    bad_at = set(random.Random(seed).sample(range(len(users)), len(BAD_EVENT_LINES))) if bad_rows else set()
    bad = iter(BAD_EVENT_LINES)
    with _open_out(path) as f:
        if fmt == "csv":
            f.write(b"user_id,item_id,timestamp,event_type\n")
        for c in range(0, len(users), 100_000):
            lines = []
            for j, (u, i, t, e) in enumerate(zip(users[c:c + 100_000].tolist(), items[c:c + 100_000].tolist(),
                                                 times[c:c + 100_000].tolist(), types[c:c + 100_000].tolist())):
                if fmt == "csv":
                    lines.append(f"u{u:07d},SKU-{i:06d},{_fmt_time(t, time_format)},{EVENTS[e - 1]}\n")
                else:
                    lines.append(json.dumps({"user_id": f"u{u:07d}", "item_id": f"SKU-{i:06d}",
                                             "timestamp": _fmt_time(t, time_format), "event_type": EVENTS[e - 1]}) + "\n")
                if c + j in bad_at and fmt == "csv":
                    f.write("".join(lines).encode())
                    lines = []
                    f.write(next(bad))
            f.write("".join(lines).encode())
    return len(users)


def write_catalog(path: str, store: Store, bad_rows: bool = False) -> int:
    rows = list(store.rows)
    cols = ["item_id", "title", "category", "brand", "price", "color"]
    cols += ["image_vector"] if "image_vector" in rows[0] else []
    if bad_rows:  # a duplicate id, a bad price
        rows.insert(len(rows) // 2, dict(rows[0], title="Duplicate of the first row"))
        rows.insert(len(rows) // 3, dict(rows[1], item_id="SKU-X-BADPRICE", price="twelve"))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    with _open_out(path) as f:
        f.write(buf.getvalue().encode())
    return len(rows)


def generate(out: str, users: int, items: int, seed: int = 0, fmt: str = "csv", gz: bool = False,
             time_format: str = "iso", bad_rows: bool = False, image_dim: int = 0, launches: float = 0.0) -> dict:
    os.makedirs(out, exist_ok=True)
    rng = random.Random(seed)
    t0 = time.time()
    store = Store(items, rng, image_dim, launches, seed)
    arrays = simulate(store, users, rng)
    ext = ("csv" if fmt == "csv" else "jsonl") + (".gz" if gz else "")
    ev_path, cat_path = os.path.join(out, f"events.{ext}"), os.path.join(out, "catalog.csv" + (".gz" if gz else ""))
    n = write_events(ev_path, arrays, fmt, time_format, bad_rows, seed)
    write_catalog(cat_path, store, bad_rows)
    return {"events": ev_path, "catalog": cat_path, "event_rows": n, "users": users, "items": items,
            "seconds": round(time.time() - t0, 1)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--users", type=int, help="shoppers (default: --events / 17.7, or 5000)")
    p.add_argument("--events", type=int, help="approximate event count (sets --users; about 17.7 events a shopper)")
    p.add_argument("--items", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    p.add_argument("--gzip", action="store_true")
    p.add_argument("--time-format", choices=["iso", "ms", "s"], default="iso")
    p.add_argument("--bad-rows", action="store_true", help="insert one row of each kind of problem (CSV only)")
    p.add_argument("--image-dim", type=int, default=0, help="add an image_vector column of this width")
    p.add_argument("--launches", type=float, default=0.0, help="fraction of items launched during the log (see above)")
    a = p.parse_args(argv)
    if a.bad_rows and a.format != "csv":
        p.error("--bad-rows writes CSV rows: use it with --format csv")
    users = a.users or (max(1, round(a.events / 17.7)) if a.events else 5000)
    print(json.dumps(generate(a.out, users, a.items, a.seed, a.format, a.gzip, a.time_format, a.bad_rows,
                              a.image_dim, a.launches)))


if __name__ == "__main__":
    main()
