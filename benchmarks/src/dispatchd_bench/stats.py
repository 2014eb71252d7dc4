"""Percentiles and throughput, computed the same way for dispatchd and every peer."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by the nearest-rank method; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(lateness_s: Sequence[float]) -> dict[str, float]:
    """p50, p99 and max of a list of lateness samples, in seconds."""
    return {
        "lateness_p50_s": round(percentile(lateness_s, 50), 4),
        "lateness_p99_s": round(percentile(lateness_s, 99), 4),
        "lateness_max_s": round(max(lateness_s, default=0.0), 4),
    }
