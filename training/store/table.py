"""Streaming reader for the two input formats: CSV (with a header row) and JSON Lines, either one gzipped.

    table = open_table("events.csv.gz", required=("user_id", "item_id"), problems=problems)
    get = table.getter("user_id")          # fast per-format field access
    for line, rec in table.rows():          # one record at a time; nothing is held in memory
        user = get(rec)

Format: the extension after any ``.gz`` (``.csv``/``.tsv``/``.txt`` = CSV, ``.jsonl``/``.ndjson``/``.json`` =
JSON Lines), otherwise sniffed from the first character (``{`` = JSON Lines). Gzip is recognized by its magic bytes,
whatever the name. CSV delimiter: comma, tab or semicolon, whichever makes the header name the required columns.
Text is UTF-8 (a BOM is allowed); a row with other bytes is reported as ``not_utf8`` with its line, never decoded
into mojibake. Column names are matched case-insensitively after trimming spaces.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import sys
import zlib
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

from .errors import InputError, Problems

_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_CSV_EXT = (".csv", ".tsv", ".txt")
_JSONL_EXT = (".jsonl", ".ndjson", ".json")
csv.field_size_limit(min(sys.maxsize, 1 << 30))


def _open_binary(path: str):
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def _format_of(path: str, head: bytes) -> str:
    name = path[:-3] if path.endswith(".gz") else path
    ext = os.path.splitext(name)[1].lower()
    if ext in _CSV_EXT:
        return "csv"
    if ext in _JSONL_EXT:
        return "jsonl"
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{" else "csv"


class Table:
    """One input file, opened for a single streaming pass (``rows()`` may be called once)."""

    def __init__(self, path: str, fmt: str, stream, problems: Problems, required: Sequence[str]):
        self.path, self.format, self.problems = path, fmt, problems
        self._stream = stream
        self.columns: List[str] = []
        self._index = {}
        self._reader = None
        if fmt == "csv":
            self._open_csv(required)

    # ---------------------------------------------------------------------------------------------- csv ---
    def _open_csv(self, required: Sequence[str]) -> None:
        text = io.TextIOWrapper(self._stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
        first = text.readline()
        if not first.strip():
            raise InputError(self.path, 1, "not_a_table", "the first line is empty; expected a header row such as "
                             + ",".join(required))
        best = None
        for delim in (",", "\t", ";"):
            cols = [c.strip().lower() for c in next(csv.reader([first], delimiter=delim))]
            if all(r in cols for r in required):
                best = (delim, cols)
                break
        if best is None:
            found = first.strip()[:120]
            cols = {c.strip().lower() for d in (",", "\t", ";") for c in next(csv.reader([first], delimiter=d))}
            missing = [r for r in required if r not in cols]
            if len(missing) < len(required):
                raise InputError(self.path, 1, "missing_column", f"the header has no {', '.join(missing)} column; "
                                 f"found {found!r}")
            raise InputError(self.path, 1, "not_a_table", f"the first line is not a header naming the columns "
                             f"{', '.join(required)}: found {found!r} (is this a CSV file with a header row?)")
        delim, self.columns = best
        dup = {c for c in self.columns if self.columns.count(c) > 1 and c}
        if dup:
            raise InputError(self.path, 1, "not_a_table", f"the header repeats the column(s) {', '.join(sorted(dup))}")
        self._index = {c: i for i, c in enumerate(self.columns)}
        self._reader = csv.reader(text, delimiter=delim)

    def _csv_rows(self) -> Iterator[Tuple[int, list]]:
        reader, width, end = self._reader, len(self.columns), 1
        while True:
            start = end + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except (OSError, EOFError, zlib.error) as e:
                raise InputError(self.path, start, "unreadable", f"cannot read on from here: {e}")
            except csv.Error as e:
                end = reader.line_num + 1
                self.problems.add(self.path, start, "malformed_row", f"CSV error: {e}")
                continue
            end = reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                self.problems.add(self.path, start, "malformed_row", f"expected {width} fields, found {len(row)}")
                continue
            if _NOT_UTF8.search("\x1f".join(row)):
                self.problems.add(self.path, start, "not_utf8", "bytes that are not UTF-8")
                continue
            yield start, row

    # -------------------------------------------------------------------------------------------- jsonl ---
    def _jsonl_rows(self) -> Iterator[Tuple[int, dict]]:
        text = io.TextIOWrapper(self._stream, encoding="utf-8-sig", errors="surrogateescape")
        lines, n = iter(text), 0
        while True:
            n += 1
            try:
                line = next(lines)
            except StopIteration:
                return
            except (OSError, EOFError, zlib.error) as e:
                raise InputError(self.path, n, "unreadable", f"cannot read on from here: {e}")
            if not line.strip():
                continue
            if _NOT_UTF8.search(line):
                self.problems.add(self.path, n, "not_utf8", "bytes that are not UTF-8")
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                if n == 1:
                    raise InputError(self.path, 1, "not_a_table", f"not JSON Lines: {e}")
                self.problems.add(self.path, n, "malformed_row", f"bad JSON: {e}")
                continue
            if not isinstance(obj, dict):
                if n == 1:
                    raise InputError(self.path, 1, "not_a_table", "JSON Lines need one object per line; line 1 is "
                                     f"a {type(obj).__name__}")
                self.problems.add(self.path, n, "malformed_row", f"a JSON {type(obj).__name__}, not an object")
                continue
            yield n, {k.strip().lower(): v for k, v in obj.items()}

    # ---------------------------------------------------------------------------------------------- api ---
    def has(self, column: str) -> Optional[bool]:
        """True/False for CSV (known from the header); None for JSON Lines (known per row)."""
        return column in self._index if self.format == "csv" else None

    def getter(self, column: str) -> Callable[[object], object]:
        """A function record -> raw value ('' or None when absent)."""
        if self.format == "csv":
            i = self._index.get(column)
            return (lambda r: "") if i is None else (lambda r: r[i])
        return lambda r: r.get(column)

    def record_dict(self, rec) -> dict:
        return dict(zip(self.columns, rec)) if self.format == "csv" else rec

    def rows(self) -> Iterator[Tuple[int, object]]:
        return self._csv_rows() if self.format == "csv" else self._jsonl_rows()

    def close(self) -> None:
        self._stream.close()


def open_table(path: str, required: Sequence[str], problems: Problems) -> Table:
    """Open ``path`` for one streaming pass; raises ``InputError`` for files that are not a table at all."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    stream = _open_binary(path)
    try:
        head = stream.peek(65536)  # what the buffer holds (at least the first block): enough to sniff
        if not head.strip():
            raise InputError(path, 0, "empty_file", "the file is empty")
        if b"\x00" in head:
            raise InputError(path, 0, "binary_file", "the file contains NUL bytes: it is not a CSV or JSON Lines text file")
        return Table(path, _format_of(path, head), stream, problems, required)  # reads the header
    except (OSError, EOFError, zlib.error) as e:  # a gzip stream corrupt or cut within its first block
        stream.close()
        raise InputError(path, 1, "unreadable", f"cannot read the file: {e}") from e
    except BaseException:
        stream.close()
        raise
