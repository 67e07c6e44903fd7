"""Terminal progress for the store command: one readable line per event, every record also kept as JSON."""
from __future__ import annotations

import json
import sys
from typing import Optional, TextIO


def fmt_s(s: Optional[float]) -> str:
    if s is None:
        return "-"
    s = int(round(s))
    return f"{s // 3600}h{s // 60 % 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def line(rec: dict) -> Optional[str]:
    ev = rec.get("event")
    if ev == "start":
        budget = "no budget" if not rec.get("budget_s") else f"budget {fmt_s(rec['budget_s'])}"
        return (f"training: {rec['windows']:,} windows, {rec['steps_per_epoch']:,} steps an epoch, {rec['device']}"
                f" x{rec['world']}, event types {'used' if rec['typed'] else 'not used (one type)'}, {budget}")
    if ev == "progress":
        return (f"  epoch {rec['epoch']} {rec['epoch_frac'] * 100:4.0f}%  step {rec['step']:,}  loss {rec['loss']:.3f}"
                f"  used {fmt_s(rec['used_s'])}  left {fmt_s(rec['left_s'])}")
    if ev == "valid":
        v = rec["valid"]["exclude_history"]
        return (f"  epoch {rec['epoch']} {rec['epoch_frac'] * 100:4.0f}%  step {rec['step']:,}  loss {rec['loss']:.3f}"
                f"  valid NDCG@10 {v['NDCG@10']:.4f} HR@10 {v['HR@10']:.4f} (best {rec['best']:.4f})"
                f"  lr {rec['lr']:.1e}  used {fmt_s(rec['used_s'])}  left {fmt_s(rec['left_s'])}")
    if ev == "stage":
        return f"[{rec['stage']}] {rec.get('message', '')}"
    return None


class Progress:
    """``say(record)``: prints the line (unless quiet) and appends the record to the JSON log."""

    def __init__(self, log_path: Optional[str] = None, quiet: bool = False, stream: TextIO = sys.stderr):
        self.log = open(log_path, "a") if log_path else None
        self.quiet, self.stream = quiet, stream

    def __call__(self, rec: dict) -> None:
        if self.log is not None:
            self.log.write(json.dumps(rec, default=str) + "\n")
            self.log.flush()
        text = line(rec)
        if text and not self.quiet:
            print(text, file=self.stream, flush=True)

    def stage(self, stage: str, message: str = "") -> None:
        self({"event": "stage", "stage": stage, "message": message})

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
