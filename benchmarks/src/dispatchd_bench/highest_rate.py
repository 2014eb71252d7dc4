"""The highest due rate a system keeps up with, found by stepping the rate.

A fixed rate says whether a system kept up there; a capacity figure from a run that fell
behind says how fast it fired while late. Neither says how far the due rate can go before the
tail lateness breaks a promise, which is what an operator sizes a deployment by. So the rate
is stepped: doubled from the highest rate known to be kept up until a run fails, then bisected
between the highest kept and the lowest failed, a bounded number of runs in a bounded time.

A run counts as kept up when every step fired, none twice, and its p99 lateness was at most
the bound (a lower-bound p99, from steps that never fired, is never kept up).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

#: The lateness promise the search holds a rate to.
P99_BOUND_S = 0.2
#: Rates are rounded to this many steps per second, so that trials are comparable run to run.
RATE_STEP = 250.0
#: The bisection stops once the bracket is narrower than this share of its lower end.
RESOLUTION = 0.1

Measure = Callable[[float], dict[str, Any]]


@dataclass(frozen=True)
class Trial:
    """One run at one rate: its p99 lateness and whether it kept up within the bound."""

    rate: float
    p99_s: float | None
    kept_up: bool
    measured_here: bool = True

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "rate": self.rate,
            "lateness_p99_s": self.p99_s,
            "kept_up": self.kept_up,
            "measured_here": self.measured_here,
        }


def kept_up(figures: dict[str, Any], bound_s: float = P99_BOUND_S) -> bool:
    """Whether a run's figures show the rate kept up with p99 lateness within ``bound_s``."""
    if "skipped" in figures or figures.get("lateness_lower_bound"):
        return False
    p99 = figures.get("lateness_p99_s")
    complete = figures.get("fired") == figures.get("scheduled")
    return bool(complete and not figures.get("duplicates") and p99 is not None and p99 <= bound_s)


def trial_of(rate: float, figures: dict[str, Any], measured_here: bool = True) -> Trial:
    """A run's figures as a trial of the search."""
    return Trial(rate, figures.get("lateness_p99_s"), kept_up(figures), measured_here)


def _rounded(rate: float) -> float:
    return max(RATE_STEP, round(rate / RATE_STEP) * RATE_STEP)


def next_rate(trials: Iterable[Trial], start: float) -> float | None:
    """The next rate to try, or None once the highest rate kept up is bracketed closely enough.

    Doubles past the highest rate kept up while nothing above it has failed, halves below the
    lowest failure while nothing has been kept up, and otherwise bisects the bracket.
    """
    done = list(trials)
    if not done:
        return _rounded(start)
    kept = [t.rate for t in done if t.kept_up]
    failed = [t.rate for t in done if not t.kept_up]
    low = max(kept, default=None)
    above = [rate for rate in failed if low is None or rate > low]
    high = min(above, default=None)
    if low is None:
        assert high is not None
        candidate = _rounded(high / 2)
        return None if candidate >= high else candidate
    if high is None:
        return _rounded(low * 2)
    if high - low <= max(RATE_STEP, RESOLUTION * low):
        return None
    candidate = _rounded((low + high) / 2)
    return None if candidate in (low, high) else candidate


@dataclass(frozen=True)
class Search:
    """What a search found: the highest rate kept up, and every trial that says so."""

    trials: tuple[Trial, ...]
    stopped_by: str
    took_s: float

    @property
    def highest_kept_up(self) -> float | None:
        """The highest rate kept up (None if none was)."""
        return max((t.rate for t in self.trials if t.kept_up), default=None)

    @property
    def lowest_failed_above(self) -> float | None:
        """The lowest rate above the highest kept up that was not kept up."""
        best = self.highest_kept_up
        return min(
            (t.rate for t in self.trials if not t.kept_up and (best is None or t.rate > best)),
            default=None,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "highest_kept_up_per_s": self.highest_kept_up,
            "lowest_failed_above_per_s": self.lowest_failed_above,
            "p99_bound_s": P99_BOUND_S,
            "trials": [t.as_dict() for t in sorted(self.trials, key=lambda t: t.rate)],
            "runs": sum(t.measured_here for t in self.trials),
            "stopped_by": self.stopped_by,
            "took_s": round(self.took_s, 1),
        }


def search(
    measure: Measure,
    start: float,
    max_runs: int,
    budget_s: float,
    known: Iterable[Trial] = (),
    clock: Callable[[], float] = time.monotonic,
) -> Search:
    """Step the rate with ``measure`` until the bracket is close, or runs or time run out.

    ``known`` are trials already taken in this run (the fixed-rate runs on the same window),
    which the search starts from instead of repeating them. A run is started only while the
    time spent is within the budget; one that overruns it is kept, and ends the search.
    """
    began = clock()
    trials = list(known)
    runs = 0
    while True:
        rate = next_rate(trials, start)
        if rate is None:
            stopped = "bracketed"
            break
        if runs >= max_runs:
            stopped = f"{max_runs} runs"
            break
        if clock() - began >= budget_s:
            stopped = f"{budget_s:,.0f} s budget"
            break
        trials.append(trial_of(rate, measure(rate)))
        runs += 1
    return Search(tuple(trials), stopped, clock() - began)
