"""Read an event log (CSV or JSON Lines, gzip allowed) into compact arrays, one streaming pass.

Columns: ``user_id``, ``item_id`` (required), ``timestamp`` (ISO 8601, or epoch seconds / milliseconds: a number of
at least 1e11 is read as milliseconds, which puts the seconds/milliseconds boundary in the year 5138 / 1973) and
``event_type`` (``view``, ``click``, ``add_to_cart``, ``purchase``; case, spaces and hyphens are normalized, so
``Add to cart`` is ``add_to_cart``; an empty value is a view). ``--map-event NAME=TYPE`` maps another name onto one of
the four, ``NAME=skip`` drops those events (counted), ``*=TYPE`` catches every other name.

Memory: per event 4 (user) + 4 (item) + 8 (time) + 1 (type) bytes in ``array`` buffers, plus one dict entry per
distinct user id; no per-event Python object outlives its row.
"""
from __future__ import annotations

import datetime as dt
import json
from array import array
from dataclasses import dataclass
from typing import Dict, Mapping, Optional

import numpy as np

from .errors import Problems
from .table import open_table

EVENT_TYPES = ("view", "click", "add_to_cart", "purchase")  # ids 1..4, as the encoder graph and the runtime use
TYPE_ID = {name: i + 1 for i, name in enumerate(EVENT_TYPES)}
SKIP = 0
NO_TIME = np.iinfo(np.int64).min
_MS_FROM = 1e11


@dataclass
class EventLog:
    users: np.ndarray  # int32 [E], 0..U-1 in order of first appearance
    items: np.ndarray  # int32 [E], catalog item ids 1..N
    times: Optional[np.ndarray]  # int64 [E] epoch milliseconds, None when the file has no timestamp column
    types: np.ndarray  # int8 [E], 1..4
    num_users: int
    rows_read: int  # data rows seen (good + skipped)
    mapped: Dict[str, int]  # event names mapped by --map-event -> count
    dropped_by_map: int

    def __len__(self) -> int:
        return len(self.items)


def parse_event_map(specs) -> Dict[str, int]:
    """``["wishlist=add_to_cart", "impression=skip", "*=view"]`` -> {name: type id (0 = skip)}."""
    out: Dict[str, int] = {}
    for spec in specs or ():
        name, sep, target = spec.partition("=")
        target = _norm(target)
        if not sep or not name.strip() or (target not in TYPE_ID and target != "skip"):
            raise ValueError(f"--map-event {spec!r}: expected NAME=TYPE with TYPE one of {', '.join(EVENT_TYPES)}, skip")
        out["*" if name.strip() == "*" else _norm(name)] = SKIP if target == "skip" else TYPE_ID[target]
    return out


def _norm(name: str) -> str:
    return "_".join(str(name).strip().lower().replace("-", " ").split())


_DAY_MS: Dict[str, int] = {}


def _day_ms(day: str) -> int:
    v = _DAY_MS.get(day)
    if v is None:
        d = dt.date.fromisoformat(day)
        v = _DAY_MS[day] = (d - dt.date(1970, 1, 1)).days * 86_400_000
    return v


def parse_timestamp(raw) -> int:
    """Epoch milliseconds from ISO 8601 or epoch seconds/milliseconds; raises ValueError. Naive ISO times are UTC."""
    if isinstance(raw, bool):
        raise ValueError("a boolean")
    if isinstance(raw, (int, float)):
        v = float(raw)
    elif not isinstance(raw, str):  # a JSON array or object
        raise ValueError(f"a {type(raw).__name__}")
    else:
        s = raw.strip()
        if len(s) == 20 and s[10] == "T" and s[19] == "Z" and s[13] == ":" and s[16] == ":":  # 2024-03-01T10:00:00Z
            hh, mm, ss = int(s[11:13]), int(s[14:16]), int(s[17:19])
            if hh > 23 or mm > 59 or ss > 59:
                raise ValueError("time out of range")
            return _day_ms(s[:10]) + (hh * 3600 + mm * 60 + ss) * 1000
        try:
            v = float(s)
        except ValueError:
            t = dt.datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s)
            if t.tzinfo is None:
                t = t.replace(tzinfo=dt.timezone.utc)
            return int(round(t.timestamp() * 1000))
    if v != v or abs(v) > 1e16:
        raise ValueError("out of range")
    return int(round(v if abs(v) >= _MS_FROM else v * 1000))


def read_events(path: str, catalog_index: Mapping[str, int], problems: Problems, event_map=None,
                ignore_types: bool = False) -> EventLog:
    """Stream ``path`` into an ``EventLog``; rows with problems are reported to ``problems`` (and skipped)."""
    table = open_table(path, required=("user_id", "item_id"), problems=problems)
    g_user, g_item = table.getter("user_id"), table.getter("item_id")
    g_time, g_type = table.getter("timestamp"), table.getter("event_type")
    has_time = table.has("timestamp")  # None for JSON Lines: decided by the first data row
    emap = dict(event_map or {})
    users_a, items_a, times_a, types_a = array("i"), array("i"), array("q"), array("b")
    user_code: Dict[str, int] = {}
    mapped: Dict[str, int] = {}
    dropped = rows = 0
    add = problems.add
    try:
        for line, rec in table.rows():
            rows += 1
            u, it = g_user(rec), g_item(rec)
            u = u.strip() if u.__class__ is str else ("" if u is None else str(u))
            it = it.strip() if it.__class__ is str else ("" if it is None else str(it))
            if not u or not it:
                add(path, line, "missing_value", "user_id is empty" if not u else "item_id is empty")
                continue
            item = catalog_index.get(it)
            if item is None:
                add(path, line, "unknown_item", f"item_id {it[:60]!r} is not in the catalog")
                continue
            raw_t = g_time(rec) if has_time is not False else None
            if has_time is None:
                has_time = raw_t not in (None, "")
            ts = NO_TIME
            if has_time:
                if raw_t is None or (raw_t.__class__ is str and not raw_t.strip()):
                    add(path, line, "missing_timestamp", "timestamp is empty")
                    continue
                try:
                    ts = parse_timestamp(raw_t)
                except (ValueError, TypeError, OverflowError):
                    add(path, line, "bad_timestamp", f"timestamp {str(raw_t)[:40]!r} is not ISO 8601 or epoch s/ms")
                    continue
            et = 1
            raw_e = g_type(rec)
            if raw_e not in (None, "") and not ignore_types:
                if not isinstance(raw_e, str):  # JSON Lines: a number, array or object is a name nobody maps
                    raw_e = json.dumps(raw_e)[:40]
                name = raw_e if raw_e in TYPE_ID else _norm(raw_e)
                et = TYPE_ID.get(name, -1)
                if et < 0 or name in emap:
                    m = emap.get(name, emap.get("*"))
                    if m is None:
                        add(path, line, "unknown_event_type", f"event_type {str(raw_e)[:40]!r} is not one of "
                            f"{', '.join(EVENT_TYPES)} (map it with --map-event {name}=TYPE)")
                        continue
                    mapped[name] = mapped.get(name, 0) + 1
                    if m == SKIP:
                        dropped += 1
                        continue
                    et = m
            code = user_code.get(u)
            if code is None:
                code = user_code[u] = len(user_code)
            users_a.append(code)
            items_a.append(item)
            times_a.append(ts)
            types_a.append(et)
    finally:
        table.close()
    if not items_a:
        problems.add(path, 0, "empty_file", "no usable event rows")
    times = np.frombuffer(times_a, dtype=np.int64) if has_time else None
    return EventLog(users=np.frombuffer(users_a, dtype=np.int32), items=np.frombuffer(items_a, dtype=np.int32),
                    times=times, types=np.frombuffer(types_a, dtype=np.int8), num_users=len(user_code),
                    rows_read=rows, mapped=mapped, dropped_by_map=dropped)
