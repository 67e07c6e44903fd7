"""An update for a store's shipped model from its newer events, in one command (docs/own-data.md, "Updates"):

    /usr/bin/python3 -m training.store.update --base public/models/my-store --events new-events.csv.gz \
        --catalog catalog.csv --version 2 --out updates/my-store-v2.lsad
    npx localshelf-train update --base public/models/my-store ...                  # same thing

``--base`` is a model folder the store command wrote (its metrics.json names the work folder with the checkpoint
and the prepared data). ``--events`` holds the newer events only (same format and checks as the store command);
``--catalog`` is the store's current catalog: products it has and the base does not are **new** (their rows start
from the text tower, as the browser's ``catalog.add()`` would compute them), base products it no longer has are
**removed** (``--keep-missing`` keeps them).

What trains, with the base frozen: LoRA on the encoder, a per-item score bias and a delta for every item row
(training/update.py), on the newer events (every step a target), with as many windows of the base's own training
data rehearsed at ``--rehearsal`` loss weight (rehearsal is what kept adapters above their base in the freshness
experiment, EVAL.md). Each user's last newer step with at least two before it is held out for model selection.
What ships is cut to ``--budget`` of the base folder's bytes: every new product's row, then the base rows whose
delta is largest, int8 as the browser holds them. The file is a format-2 ``.lsad`` bound to the base's int8
encoder and ``items.lsim``; publish it with ``npx tsx tools/publish.ts adapter``.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from .. import data as data_mod
from .. import lsim
from ..adapter import LoraAdapter, matching_base_sha, parse_lsad
from ..evaluate import left_pad, metrics_from_ranks, rank_targets
from ..tokenizer import WordPieceTokenizer
from ..train import load_checkpoint, make_batches
from ..update import (apply_update, encode_update, model_folder_bytes, rows_by_count, rows_for_budget, select_rows,
                      update_tensors)
from .catalog import read_catalog
from .errors import Problems, run_reporting_input_errors
from .events import parse_event_map, read_events
from .memory import peak_rss_mib
from .sequences import build_sequences


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="localshelf-train update", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, help="model folder written by the store command")
    p.add_argument("--events", required=True, help="the newer events (CSV or JSON Lines, gzip allowed)")
    p.add_argument("--catalog", required=True, help="the store's current catalog")
    p.add_argument("--out", required=True, help="the .lsad file to write")
    p.add_argument("--version", type=int, required=True, help="adapterVersion (the signed target's version)")
    p.add_argument("--budget", type=float, default=0.10, help="file size as a fraction of the base folder's bytes")
    p.add_argument("--time-budget-min", type=float, default=5.0, help="training time budget (wall minutes)")
    p.add_argument("--rehearsal", type=float, default=1.0, help="loss weight of the rehearsed base windows (0: none)")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--keep-missing", action="store_true", help="do not remove base products missing from --catalog")
    p.add_argument("--strict", action="store_true")
    p.add_argument("--map-event", action="append", default=[], metavar="NAME=TYPE")
    p.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    try:
        a.event_map = parse_event_map(a.map_event)
    except ValueError as e:
        p.error(str(e))
    if not 0 < a.budget <= 1:
        p.error("--budget must be in (0, 1]")
    return a


def text_rows(model, texts: List[str]) -> torch.Tensor:
    """Item vectors of products the base never saw: the text tower alone (the browser's ``catalog.add()``)."""
    d = model.cfg.dim
    if not texts:
        return torch.zeros(0, d)
    if not model.cfg.use_text:
        return torch.zeros(len(texts), d)
    full = model.items.full_token_table()
    ids = WordPieceTokenizer().encode_batch(texts)
    with torch.no_grad():
        pooled = torch.stack([full[torch.as_tensor(t, dtype=torch.long)].mean(0) for t in ids])
        return model.items.proj(pooled)


def windows(items: np.ndarray, types: np.ndarray, max_len: int) -> Tuple[np.ndarray, np.ndarray]:
    return items[-(max_len + 1):], types[-(max_len + 1):]


def collate(batch, max_len: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Left-padded inputs, their types, next-step targets and loss weights for windows ``(items, types, weight)``."""
    length = max(len(w) for w, _, _ in batch) - 1
    inp = torch.zeros(len(batch), length, dtype=torch.long)
    typ = torch.zeros_like(inp)
    tgt = torch.zeros_like(inp)
    wt = torch.zeros(len(batch), length)
    for i, (w, t, weight) in enumerate(batch):
        n = len(w) - 1
        inp[i, length - n:] = torch.as_tensor(w[:-1], dtype=torch.long)
        typ[i, length - n:] = torch.as_tensor(t[:-1], dtype=torch.long)
        tgt[i, length - n:] = torch.as_tensor(w[1:], dtype=torch.long)
        wt[i, length - n:] = weight
    return inp, typ, tgt, wt


def loss_of(model, base_table: torch.Tensor, ad: LoraAdapter, inp, typ, tgt, wt) -> Tuple[torch.Tensor, float]:
    table = ad.table(base_table)
    h = model.encoder(table[inp], typ, ad.lora())
    sel = tgt > 0
    logits = h[sel] @ table[1:].t() + ad.item_bias
    w = wt[sel]
    return (F.cross_entropy(logits, tgt[sel] - 1, reduction="none") * w).sum(), float(w.sum())


@torch.no_grad()
def ndcg(model, table: torch.Tensor, ad: Optional[LoraAdapter], hists, htypes, targets, bias=None) -> dict:
    """Full ranking over every row of ``table`` [N+1, D] (the rows as they are: no delta applied here; ``ad`` gives
    the LoRA), history excluded; ``hists``/``htypes`` lists of arrays."""
    model.eval()
    ranks = []
    items = table[1:]
    lora = ad.lora() if ad is not None else None
    for s in range(0, len(hists), 1024):
        seqs = left_pad(hists[s:s + 1024], model.cfg.max_len)
        types = left_pad(htypes[s:s + 1024], model.cfg.max_len)
        u = model.encoder(table[seqs], types, lora)[:, -1]
        scores = u @ items.t()
        if bias is not None:
            scores = scores + bias
        tg = torch.as_tensor(targets[s:s + 1024], dtype=torch.long)
        ranks.append(rank_targets(scores, tg, hists[s:s + 1024]).numpy())
    return metrics_from_ranks(np.concatenate(ranks)) if ranks else {}


def new_items_of(catalog, new_pos: List[int], counts: np.ndarray, n: int) -> List[dict]:
    """Catalog entries of the new products (``newItems``): id, title, popularity in the newer events, attributes."""
    out = []
    for j, i in enumerate(new_pos):
        e = {"id": catalog.ids[i], "title": catalog.titles[i] or catalog.ids[i], "popularity": int(counts[n + 1 + j])}
        e.update({k: v for k, v in (catalog.attrs[i] or {}).items() if isinstance(v, (str, int, float, bool)) and v != ""})
        out.append(e)
    return out


def run(a: argparse.Namespace) -> dict:
    t0 = time.time()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)
    say = (lambda *_: None) if a.quiet else (lambda msg: print(f"[update] {msg}", flush=True))

    manifest = json.load(open(os.path.join(a.base, "manifest.json")))
    metrics = json.load(open(os.path.join(a.base, "metrics.json")))
    work = metrics["work"]
    ds = data_mod.load("store:" + os.path.join(work, "data"))
    model, _ = load_checkpoint(os.path.join(work, "model.pt"), ds)
    for p in model.parameters():
        p.requires_grad_(False)
    sha, same = matching_base_sha(model, manifest["sha256"]["encoder.int8.onnx"])
    if not same:
        raise SystemExit(f"{a.base}: the checkpoint in {work} exports another encoder than the folder's: not this base")
    items_sha = manifest["sha256"]["items.lsim"]
    n, dim, max_len = ds.num_items, model.cfg.dim, model.cfg.max_len

    problems = Problems(strict=a.strict)
    text_fields = ds.extra["prepared"]["inputs"]["text_fields"]
    catalog = read_catalog(a.catalog, problems, text_fields)
    base_index = {iid: i + 1 for i, iid in enumerate(ds.item_ids)}
    new_pos = [i for i, iid in enumerate(catalog.ids) if iid not in base_index]
    removed = [] if a.keep_missing else sorted(base_index[i] - 1 for i in set(base_index) - set(catalog.index))
    index = dict(base_index)
    for j, i in enumerate(new_pos):
        index[catalog.ids[i]] = n + 1 + j
    m = len(new_pos)
    log = read_events(a.events, index, problems, a.event_map)
    seqs = build_sequences(log)
    say(f"{seqs.events:,} newer events of {seqs.num_users:,} shoppers ({problems.skipped(a.events):,} rows skipped); "
        f"{m:,} new products, {len(removed):,} removed")

    model.eval()
    base_table = model.items().detach()
    table = torch.cat([base_table, text_rows(model, [catalog.texts[i] for i in new_pos])])
    ad = LoraAdapter(model, item_bias=True, item_rows=True, seed=a.seed, num_items=n + m)
    # the rows that ship are chosen first (every new product, then the base items the newer events are most
    # about, as many as the byte budget holds), and only they train: the update learns with what ships
    base_bytes = model_folder_bytes(a.base, manifest)
    budget = int(base_bytes * a.budget)
    counts = np.bincount(seqs.items, minlength=n + m + 1)
    probe = encode_update(a.version, sha, items_sha, ad.rank,
                          update_tensors(ad, np.zeros(0, np.int32), np.zeros((m, dim), np.float32)[:0],
                                         new_vectors=np.zeros((m, dim), np.float32), removed=removed),
                          new_items_of(catalog, new_pos, counts, n), {})
    k = rows_for_budget(budget, len(probe) + 4 * 64 + 512, dim, n)
    ad.restrict_rows(list(rows_by_count(counts[1:n + 1], k)) + list(range(n, n + m)))

    # newer windows (every step a target), each user's last step held out when it has two before it
    train_w, vh, vt, vy = [], [], [], []
    for u in range(seqs.num_users):
        it = seqs.items[seqs.offsets[u]:seqs.offsets[u + 1]].astype(np.int64)
        ty = seqs.types[seqs.offsets[u]:seqs.offsets[u + 1]].astype(np.int64)
        if len(it) >= 3:
            vh.append(it[:-1][-max_len:])
            vt.append(ty[:-1][-max_len:])
            vy.append(int(it[-1]))
            it, ty = it[:-1], ty[:-1]
        if len(it) >= 2:
            w, t = windows(it, ty, max_len)
            train_w.append((w, t, 1.0))
    if not train_w:
        raise SystemExit(f"{a.events}: no shopper has two newer steps: nothing to learn an update from")
    fresh = len(train_w)
    if a.rehearsal > 0:
        pick = rng.choice(len(ds.train), size=min(len(ds.train), fresh), replace=False)
        for i in pick:
            it = np.asarray(ds.train[int(i)], dtype=np.int64)
            ty = np.asarray(ds.train_types[int(i)], dtype=np.int64) if ds.train_types is not None else (it > 0).astype(np.int64)
            if len(it) >= 2:
                w, t = windows(it, ty, max_len)
                train_w.append((w, t, a.rehearsal))
    vy_a = np.asarray(vy, dtype=np.int64)
    base_valid = ndcg(model, table, None, vh, vt, vy_a) if vy else {}
    say(f"{fresh:,} newer windows + {len(train_w) - fresh:,} rehearsed; {len(vy):,} held out "
        f"(base NDCG@10 {base_valid.get('NDCG@10', float('nan')):.4f})")

    opt = torch.optim.Adam(ad.parameters(), lr=a.lr, betas=(0.9, 0.98))
    lengths = np.array([len(w) for w, _, _ in train_w])
    best = (base_valid.get("NDCG@10", -1.0), None, 0)
    bad, epoch, step = 0, 0, 0
    history = []
    while time.time() - t0 < a.time_budget_min * 60:
        epoch += 1
        model.train()
        ad.train()
        for b in make_batches(lengths, 128, rng):
            loss, cnt = loss_of(model, table, ad, *collate([train_w[i] for i in b], max_len))
            (loss / max(cnt, 1.0)).backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            if time.time() - t0 > a.time_budget_min * 60:
                break
        ad.eval()
        v = ndcg(model, ad.table(table).detach(), ad, vh, vt, vy_a, ad.item_bias.detach()) if vy else {}
        score = v.get("NDCG@10", 0.0)
        history.append({"epoch": epoch, "step": step, "valid_ndcg10": score, "elapsed_s": round(time.time() - t0, 1)})
        say(f"epoch {epoch}: held-out NDCG@10 {score:.4f} ({time.time() - t0:.0f} s)")
        if not vy or score > best[0]:
            best, bad = (score, copy.deepcopy(ad.state_dict()), epoch), 0
        else:
            bad += 1
            if bad >= 3:
                break
    if best[1] is None:
        say("no epoch beat the base on the held-out steps: the update keeps the base rows and LoRA at zero")
        best = (best[0], LoraAdapter(model, item_bias=True, item_rows=True, num_items=n + m).state_dict(), 0)
    ad.load_state_dict(best[1])
    ad.eval()

    # what ships: every new product's row, then the trained base rows (cut further if the header grew)
    fp32 = ad.table(table)[1:].detach().numpy()
    new_items = new_items_of(catalog, new_pos, counts, n)
    meta = {"tool": "training.store.update", "base": manifest.get("name", ""), "events": os.path.basename(a.events)}
    base_delta = LoraAdapter(model, item_bias=False, item_rows=True, num_items=n)
    with torch.no_grad():
        base_delta.item_delta.copy_(ad.item_delta[:n])

    def encode(k: int) -> Tuple[bytes, np.ndarray]:
        rows = select_rows(base_delta, k)
        tensors = update_tensors(ad, rows, fp32[rows], new_vectors=fp32[n:], removed=removed)
        return encode_update(a.version, sha, items_sha, ad.rank, tensors, new_items, meta), rows

    fixed = len(encode(0)[0])
    k = rows_for_budget(budget, fixed, dim, n)
    blob, rows = encode(k)
    while len(blob) > budget and k > 0:
        k -= (len(blob) - budget + 63) // 64 + 1
        blob, rows = encode(max(k, 0))
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "wb") as f:
        f.write(blob)
    header, tensors = parse_lsad(blob, manifest)  # what ships, read back
    shipped, bias, _ = apply_update(lsim.read(os.path.join(a.base, "items.lsim")), header, tensors)
    shipped_t = torch.cat([torch.zeros(1, dim), torch.from_numpy(shipped)])
    final = ndcg(model, shipped_t, ad, vh, vt, vy_a, torch.from_numpy(bias)) if vy else {}
    info = {"file": a.out, "bytes": len(blob), "base_folder_bytes": base_bytes, "budget_bytes": budget,
            "fraction": round(len(blob) / base_bytes, 4), "rows_replaced": int(len(rows)), "new_items": m,
            "removed": len(removed), "events": int(seqs.events), "shoppers": int(seqs.num_users),
            "windows_newer": fresh, "windows_rehearsed": len(train_w) - fresh, "held_out": len(vy),
            "held_out_ndcg10": {"base": base_valid.get("NDCG@10"), "update_fp32_all_rows": best[0],
                                "update_as_shipped": final.get("NDCG@10")},
            "epochs": epoch, "best_epoch": best[2], "steps": step, "history": history,
            "wall_s": round(time.time() - t0, 1), "peak_rss_mib": peak_rss_mib(),
            "baseModel": sha, "baseItems": items_sha, "adapterVersion": a.version, "problems": problems.to_dict()}
    with open(a.out + ".json", "w") as f:
        json.dump(info, f, indent=2)
    if len(blob) > budget:
        say(f"warning: {m:,} new products alone need {len(blob):,} bytes, over the budget of {budget:,}")
    say(f"wrote {a.out}: {len(blob):,} bytes ({100 * len(blob) / base_bytes:.1f} % of the base folder's {base_bytes:,}), "
        f"{len(rows):,} rows replaced, {m:,} new, {len(removed):,} removed; held-out NDCG@10 "
        f"{base_valid.get('NDCG@10', float('nan')):.4f} -> {final.get('NDCG@10', float('nan')):.4f} as shipped")
    return info


def main(argv=None) -> int:
    return run_reporting_input_errors("localshelf-train update", lambda: run(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
