"""Keeping the other workloads' figures when a run measures only some (``--only``).

A run of one workload into a folder that already holds a report would otherwise replace the
whole report with that one workload. Instead, the figures of the workloads this run did not
take are carried over from the report's own ``benchmarks.json`` — only from a run of the same
kind (full with full, quick with quick) — and the report names the run each came from, with
that run's machine load. Nothing crosses runs inside a workload: every ratio still compares
figures taken in one run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dispatchd_bench.results import BACKLOG_KEY, EVENT_COMMITS_KEY, HIGHEST_RATE_KEY, Results

#: The results keys of each workload named on the command line, by how they begin.
_KEYS = {
    "escalation": ("escalation_", BACKLOG_KEY, HIGHEST_RATE_KEY),
    "http": ("http_orders",),
    "nearest": ("nearest_",),
    "locations": ("location_updates",),
    "sse": ("sse_",),
    "memory": ("memory",),
    "events": (EVENT_COMMITS_KEY,),
}


def workload_of(key: str) -> str | None:
    """The command-line workload a results key belongs to (None for one it does not know)."""
    for workload, prefixes in _KEYS.items():
        if any(key == p or (p.endswith("_") and key.startswith(p)) for p in prefixes):
            return workload
    return None


def carry_over(results: Results, earlier: dict[str, Any], measured: Sequence[str]) -> list[str]:
    """Copy into ``results`` the workloads ``earlier`` holds and this run did not measure.

    ``earlier`` is a previous ``benchmarks.json``. Returns the workloads carried over (none
    when the earlier run was of another kind), and records in ``results.meta["carried"]``
    the runs they were measured in — the earlier run, or the one it had carried them from.
    """
    meta = earlier.get("_run") or {}
    mode = (meta.get("run") or {}).get("mode")
    if mode is None or mode != (results.meta.get("run") or {}).get("mode"):
        return []
    own: dict[str, Any] = {
        "workloads": [],
        "finished_at": (meta.get("run") or {}).get("finished_at"),
        "git": (meta.get("machine") or {}).get("git"),
        "host_before": meta.get("host_before"),
        "host_after": meta.get("host_after"),
    }
    sources: list[dict[str, Any]] = [
        {**source, "workloads": []} for source in meta.get("carried") or []
    ]
    carried: list[str] = []
    for key, systems in earlier.items():
        workload = workload_of(key)
        if key == "_run" or workload is None or workload in measured or key in results.workloads:
            continue
        for system, figures in systems.items():
            results.put(key, system, figures)
        if workload in carried:
            continue
        carried.append(workload)
        came_from: dict[str, Any] = next(
            (
                new
                for new, old in zip(sources, meta.get("carried") or [], strict=True)
                if workload in old.get("workloads", [])
            ),
            own,
        )
        came_from["workloads"].append(workload)
    found = [source for source in (own, *sources) if source["workloads"]]
    if found:
        results.meta["carried"] = found
    return carried


def read_earlier(path: Path) -> dict[str, Any] | None:
    """The ``benchmarks.json`` at ``path``, or None if there is none or it cannot be read."""
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None
