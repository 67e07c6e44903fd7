"""Typed input errors with file, line and reason, and the collector that counts skipped rows.

Every problem has a stable ``code`` (one of ``CODES``) so reports, tests and callers can key on it. File-level
problems (not a table, no header, missing column) always stop the run: nothing in that file can be trusted. Row-level
problems stop the run under ``--strict``; otherwise the row is skipped, counted, and the first few are quoted in the
report with their ``file:line``. Notices (an item without any text) keep the row and are only counted.
"""
from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

# code -> what it means (reports print this beside the count)
CODES: Dict[str, str] = {
    # file level (always fatal)
    "empty_file": "the file has no rows",
    "binary_file": "the file is not text (NUL bytes): not CSV or JSON Lines",
    "not_a_table": "the first row is not a header naming the required columns",
    "missing_column": "a required column is absent from the header",
    "split_impossible": "the requested split cannot be made from this data",
    "unreadable": "the file cannot be read to its end (a truncated or corrupt gzip stream)",
    # row level (skipped and counted, or fatal with --strict)
    "malformed_row": "the row cannot be parsed (wrong field count, bad JSON, not an object)",
    "not_utf8": "the row has bytes that are not UTF-8",
    "missing_value": "a required field is empty",
    "bad_timestamp": "the timestamp is neither ISO 8601 nor epoch seconds/milliseconds",
    "missing_timestamp": "the file has a timestamp column but this row leaves it empty",
    "unknown_event_type": "event_type is not view, click, add_to_cart or purchase (see --map-event)",
    "unknown_item": "the event names an item_id that is not in the catalog",
    "duplicate_item": "the catalog names this item_id again (the first row is kept)",
    # the row is kept without the bad field (fatal with --strict)
    "bad_price": "price is not a number (the item is kept without a price)",
    "bad_image_vector": "image_vector is not a list of finite numbers of the catalog's width (kept without it)",
    # notices: the row is kept, never fatal
    "no_text": "the item has no title, brand or category: it trains from its ID alone",
}
FATAL_FILE = {"empty_file", "binary_file", "not_a_table", "missing_column", "split_impossible", "unreadable"}
NOTICES = {"no_text"}
KEPT = {"bad_price", "bad_image_vector"} | NOTICES  # codes whose row stays in the data
SAMPLES_PER_CODE = 5


class InputError(ValueError):
    """A problem in an input file: ``path:line: reason [code]`` (line 0 = the file as a whole)."""

    def __init__(self, path: str, line: int, code: str, reason: str):
        if code not in CODES:
            raise KeyError(f"unknown input error code {code!r}")
        self.path, self.line, self.code, self.reason = path, line, code, reason
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {reason} [{code}]")


@dataclass
class Problem:
    path: str
    line: int
    code: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason} [{self.code}]"


@dataclass
class Problems:
    """Counts of skipped rows by (file, code), and the first few of each, for the report.

    ``strict``: the first row-level problem raises ``InputError`` instead (notices never raise)."""

    strict: bool = False
    counts: Counter = field(default_factory=Counter)  # (path, code) -> rows
    samples: Dict[tuple, List[Problem]] = field(default_factory=dict)

    def add(self, path: str, line: int, code: str, reason: str) -> None:
        if code not in CODES:
            raise KeyError(f"unknown input error code {code!r}")
        if code in FATAL_FILE or (self.strict and code not in NOTICES):
            raise InputError(path, line, code, reason)
        key = (path, code)
        self.counts[key] += 1
        bucket = self.samples.setdefault(key, [])
        if len(bucket) < SAMPLES_PER_CODE:
            bucket.append(Problem(path, line, code, reason))

    def skipped(self, path: Optional[str] = None) -> int:
        """Rows skipped (kept rows excluded), in one file or in all."""
        return sum(n for (p, c), n in self.counts.items() if c not in KEPT and (path is None or p == path))

    def to_dict(self) -> dict:
        return {"strict": self.strict,
                "rows": [{"file": p, "code": c, "count": n, "meaning": CODES[c],
                          "row": "kept" if c in KEPT else "skipped",
                          "examples": [str(x) for x in self.samples.get((p, c), [])]}
                         for (p, c), n in sorted(self.counts.items())]}


def run_reporting_input_errors(prog: str, run: Callable[[], object]) -> int:
    """A command's exit code: 0, or 2 with ``prog: <file:line: reason>`` on stderr for bad input or a missing file."""
    try:
        run()
    except (InputError, FileNotFoundError) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 2
    return 0
