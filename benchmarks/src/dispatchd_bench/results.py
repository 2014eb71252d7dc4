"""The figures of one run, ``{workload: {system: {metric: value}}}``, and their comparisons.

Ratios are always against the best peer measured in the same run on the same workload: a
figure from another day or another machine would compare the machines, not the systems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dispatchd_bench.peers import PEER_SYSTEMS

DISPATCHD_STORES = ("dispatchd_sqlite", "dispatchd_postgresql")
#: The results key of the engine's backlog drain (not an ``escalation_<rate>`` workload).
BACKLOG_KEY = "deadline_backlog"
#: A run on a machine busier than this (1-minute load per core) gets a warning.
BUSY_LOAD_PER_CORE = 0.5

Figures = dict[str, Any]


@dataclass
class Results:
    """Everything one run measured."""

    workloads: dict[str, dict[str, Figures]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=lambda: {"skipped": {}})

    def put(self, workload: str, system: str, figures: Figures) -> None:
        """Record one system's figures for one workload."""
        self.workloads.setdefault(workload, {})[system] = figures

    def get(self, workload: str, system: str) -> Figures | None:
        """One system's figures, or None if not measured (or skipped)."""
        figures = self.workloads.get(workload, {}).get(system)
        return None if figures is None or "skipped" in figures else figures

    def as_json(self) -> dict[str, Any]:
        """The JSON document: the workloads, and ``_run`` for the run's circumstances."""
        return {**self.workloads, "_run": self.meta}


def escalation_workloads(results: Results) -> list[str]:
    """The escalation workloads measured, slowest rate first."""
    keys = [k for k in results.workloads if k.startswith("escalation_")]
    return sorted(keys, key=lambda k: int(k.split("_")[1]))


def add_ratios(results: Results) -> None:
    """Compare dispatchd with the fastest and with the promptest peer of the same run.

    The fastest peer fired the most tasks per second; the promptest had the lowest p99
    lateness. Peers that were skipped do not compete; neither does the bare-loop reference.
    """
    for key in escalation_workloads(results):
        systems = results.workloads[key]
        peers = {s: f for s, f in systems.items() if s in PEER_SYSTEMS and "skipped" not in f}
        if not peers:
            continue
        fastest = max(peers, key=lambda s: peers[s].get("fired_per_s") or 0.0)
        promptest = min(peers, key=lambda s: peers[s].get("lateness_p99_s") or float("inf"))
        best_rate = peers[fastest].get("fired_per_s") or 0.0
        best_p99 = peers[promptest].get("lateness_p99_s")
        for store in DISPATCHD_STORES:
            mine = results.get(key, store)
            if mine is None:
                continue
            mine["best_peer"] = fastest
            mine["best_peer_fired_per_s"] = best_rate
            mine["vs_best_peer"] = round(mine["fired_per_s"] / best_rate, 2) if best_rate else None
            mine["promptest_peer"] = promptest
            mine["promptest_peer_lateness_p99_s"] = best_p99
            mine["lateness_p99_vs_promptest_peer"] = (
                round(best_p99 / mine["lateness_p99_s"], 1)
                if best_p99 and mine["lateness_p99_s"]
                else None
            )


def busy_machine(results: Results) -> bool:
    """Whether the run shared the machine with other work (load above half the cores)."""
    cores = results.meta.get("machine", {}).get("cores") or 1
    loads = [
        results.meta.get(moment, {}).get("loadavg_1m", 0.0)
        for moment in ("host_before", "host_after")
    ]
    return bool(max(loads) > BUSY_LOAD_PER_CORE * cores)
