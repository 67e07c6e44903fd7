"""Learning rate and stopping within a time budget: warm-stable-decay on the budget's clock.

The rate stays at ``lr`` until 70 % of the budget is used, or earlier when validation has not improved for
``patience`` evaluations; it then decays along a cosine to 2 % of ``lr`` over the rest of the budget (or, for an
early start, over 3/7 of the time used so far, the same 70:30 proportion), and training stops when the decay ends.
No epoch count is needed in advance, so the same rule fits a data set whose epoch takes 2 s and one whose epoch
does not fit in the budget at all. With ``epochs`` given instead (tests, reproducible runs), the same shape runs on
steps: constant for 70 % of ``epochs * steps_per_epoch`` steps, cosine over the rest.
"""
from __future__ import annotations

import math
from typing import Optional

STABLE = 0.7
FLOOR = 0.02


def _cosine(frac: float) -> float:
    frac = min(1.0, max(0.0, frac))
    return FLOOR + (1.0 - FLOOR) * 0.5 * (1.0 + math.cos(math.pi * frac))


class BudgetSchedule:
    """``rate(used_s, step)`` -> learning-rate factor; ``done`` once the decay has finished."""

    def __init__(self, budget_s: Optional[float], patience: int = 3, total_steps: Optional[int] = None):
        if budget_s is None and total_steps is None:
            raise ValueError("a budget or a step count is needed")
        self.budget_s, self.patience, self.total_steps = budget_s, patience, total_steps
        self.decay_from: Optional[float] = None  # clock value (s, or steps) where the decay starts
        self.decay_len: Optional[float] = None
        self.done = False
        self.bad_evals = 0
        self.reason = ""

    @property
    def decaying(self) -> bool:
        return self.decay_from is not None

    def _clock(self, used_s: float, step: int) -> float:
        return float(step) if self.total_steps is not None else used_s

    def _start_decay(self, now: float, reason: str) -> None:
        if self.decaying:
            return
        end = self.total_steps if self.total_steps is not None else self.budget_s
        natural = STABLE * end
        if now >= natural:  # the planned point (even if the first step after it comes late)
            self.decay_from, self.decay_len = natural, max(end - natural, 1.0)
        else:
            self.decay_from, self.decay_len = now, max(now * (1 - STABLE) / STABLE, 1.0)
        self.reason = reason

    def rate(self, used_s: float, step: int) -> float:
        now = self._clock(used_s, step)
        end = self.total_steps if self.total_steps is not None else self.budget_s
        if not self.decaying and now >= STABLE * end:
            self._start_decay(now, f"{int(STABLE * 100)} % of the budget used")
        if not self.decaying:
            return 1.0
        frac = (now - self.decay_from) / self.decay_len
        if frac >= 1.0 - 1e-9 or now >= end:
            self.done = True
        return _cosine(frac)

    def evaluated(self, improved: bool, used_s: float, step: int) -> None:
        """Report a validation result; ``patience`` misses in a row start the decay early."""
        self.bad_evals = 0 if improved else self.bad_evals + 1
        if self.bad_evals >= self.patience and not self.decaying:
            self._start_decay(self._clock(used_s, step), f"no validation gain in {self.patience} evaluations")
        elif self.bad_evals >= 2 * self.patience:
            self.done = True  # decaying and still not improving: stop early, the best checkpoint is kept
            self.reason = self.reason or "no validation gain"

    def left_s(self, used_s: float) -> Optional[float]:
        """Seconds of budget left (None for a step-count run)."""
        if self.total_steps is not None or self.budget_s is None:
            return None
        if self.decaying:
            return max(0.0, min(self.budget_s, self.decay_from + self.decay_len) - used_s)
        return max(0.0, self.budget_s - used_s)
