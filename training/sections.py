"""Marked sections in hand-kept Markdown files (EVAL.md, BENCHMARKS.md): a tool rewrites only its own part."""
from __future__ import annotations

import os


def write_section(path: str, text: str, begin: str, end: str) -> None:
    """Replace the text between ``begin`` and ``end`` in ``path`` with ``text`` (which carries the markers), or append
    it when they are absent; the rest of the file is left as it is."""
    old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        text = head + text.rstrip("\n") + rest.split(end, 1)[1]
    else:
        text = old.rstrip("\n") + ("\n\n" if old else "") + text
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
