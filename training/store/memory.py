"""Peak memory of this process (and of its finished children), in MiB."""
from __future__ import annotations

import resource


def peak_rss_mib(children: bool = False) -> float:
    """Peak resident set size (Linux ``ru_maxrss`` is in KiB) of this process, or of its waited-for children."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return round(resource.getrusage(who).ru_maxrss / 1024.0, 1)
