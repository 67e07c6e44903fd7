"""Learning rate and stopping within a time budget: warm-stable-decay on the budget's clock.

The rate stays at ``lr`` until 70 % of the budget is used, then decays along a cosine to 2 % of ``lr`` over the
rest, and training stops when the decay ends. That constant phase doubles as a probe: when validation has not
improved for ``patience`` evaluations, the data supports fewer epochs at a constant rate than the budget holds, and
training **restarts from the initial weights** with a cosine from ``lr`` to 2 % over twice the time the constant rate
took to reach its best (the caller resets the model: ``evaluated`` returns ``"restart"``); the best checkpoint of
either phase is kept. When that does not fit in what is left of the budget, it goes back to the best checkpoint
and decays from there over what is left (``"rollback"``). Measured on Beauty (EVAL.md, the runs on the way): a
constant rate peaked at epoch 10 to 14 and overfit after it; decaying from the overfit state or from the best
checkpoint did not recover (best validation NDCG@10 0.0569 / 0.0570), the restart did (0.0593; with cold items as
negatives 0.0637 at the peak, 0.0683 after the restart's cosine).
``restart_fit`` (the recipe's, 2 by default) is how many times the time to the best must be left for a restart; below
2 the restart's cosine runs over what is left when twice the time to the best does not fit. ``restart_len`` (the
recipe's, 2 by default) is the restart cosine's length in times the time to the best, at most what is left.
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

    def __init__(self, budget_s: Optional[float], patience: int = 3, total_steps: Optional[int] = None,
                 restart_fit: float = 2.0, restart_len: float = 2.0):
        if budget_s is None and total_steps is None:
            raise ValueError("a budget or a step count is needed")
        self.budget_s, self.patience, self.total_steps = budget_s, patience, total_steps
        self.restart_fit = restart_fit  # a restart needs this many times the time to the best left in the budget
        self.restart_len = restart_len  # ... and its cosine runs over this many times that time (at most what is left)
        self.decay_from: Optional[float] = None  # clock value (s, or steps) where the decay starts
        self.decay_len: Optional[float] = None
        self.done = False
        self.bad_evals = 0
        self.restarted = False
        self.reason = ""  # why the decay started
        self.stop_reason = ""  # why training stopped (once done)

    @property
    def decaying(self) -> bool:
        return self.decay_from is not None

    @property
    def end(self) -> float:
        """The clock value where training must stop: the budget (s) or the step count."""
        return self.total_steps if self.total_steps is not None else self.budget_s

    def _clock(self, used_s: float, step: int) -> float:
        return float(step) if self.total_steps is not None else used_s

    def _start_decay(self, now: float, reason: str, length: Optional[float] = None) -> None:
        if self.decaying:
            return
        end = self.end
        natural = STABLE * end
        if now >= natural:  # the planned point (even if the first step after it comes late)
            self.decay_from, self.decay_len = natural, max(end - natural, 1.0)
        else:
            self.decay_from = now
            self.decay_len = max(now * (1 - STABLE) / STABLE if length is None else length, 1.0)
        self.reason = reason
        self.bad_evals = 0

    def rate(self, used_s: float, step: int) -> float:
        now, end = self._clock(used_s, step), self.end
        if not self.decaying and now >= STABLE * end:
            self._start_decay(now, f"{int(STABLE * 100)} % of the budget used")
        if not self.decaying:
            return 1.0
        frac = (now - self.decay_from) / self.decay_len
        if frac >= 1.0 - 1e-9 or now >= end:
            self.done = True
            self.stop_reason = self.stop_reason or "the learning-rate decay ended"
        return _cosine(frac)

    def evaluated(self, improved: bool, used_s: float, step: int, best_at: Optional[float] = None) -> Optional[str]:
        """Report a validation result. ``best_at``: the clock (seconds, or steps) of the best evaluation so far.
        After ``patience`` misses in a row, before the planned decay: ``"restart"`` (reset the model to its initial
        weights: a cosine over ``2 * best_at`` follows) when that fits in the budget, else ``"rollback"`` (restore
        the best checkpoint: a cosine over what is left); without ``best_at``, a decay from here over 3/7 of the time
        used. Returns None when the caller has nothing to do."""
        self.bad_evals = 0 if improved else self.bad_evals + 1
        now, end = self._clock(used_s, step), self.end
        if self.bad_evals >= self.patience and not self.decaying and not self.restarted and now < STABLE * end:
            if best_at is None:
                self._start_decay(now, f"no validation gain in {self.patience} evaluations")
                return None
            if now + self.restart_fit * best_at <= end:
                length = min(self.restart_len * float(best_at), end - now)
                over = f"{self.restart_len:g} x the time to the best" if length == self.restart_len * float(best_at) \
                    else \
                    f"what is left ({length / float(best_at):.2f} x the time to the best)"
                self._start_decay(now, f"no validation gain in {self.patience} evaluations: restart with a cosine "
                                       f"over {over}", length)
                self.restarted = True
                return "restart"
            self._start_decay(now, f"no validation gain in {self.patience} evaluations: back to the best checkpoint",
                              max(end - now, 1.0))
            return "rollback"
        if self.bad_evals >= 2 * self.patience and self.decaying and not self.restarted:  # (a restart runs its cosine
            # out: its early evaluations trail the probe's best by construction)
            self.done = True  # decaying and still not improving: stop early, the best checkpoint is kept
            self.stop_reason = f"no validation gain in {2 * self.patience} evaluations while decaying"
        return None

    def left_s(self, used_s: float) -> Optional[float]:
        """Seconds of budget left (None for a step-count run)."""
        if self.total_steps is not None or self.budget_s is None:
            return None
        if self.decaying:
            return max(0.0, min(self.budget_s, self.decay_from + self.decay_len) - used_s)
        return max(0.0, self.budget_s - used_s)
