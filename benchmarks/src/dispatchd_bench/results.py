"""The figures of one run, ``{workload: {system: {metric: value}}}``, and their comparisons.

Ratios are always against the best peer measured in the same run on the same workload: a
figure from another day or another machine would compare the machines, not the systems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dispatchd_bench.peers import PEER_SYSTEMS, REFERENCE_SYSTEM

DISPATCHD_STORES = ("dispatchd_sqlite", "dispatchd_postgresql")
#: The results key of the engine's backlog drain (not an ``escalation_<rate>`` workload).
BACKLOG_KEY = "deadline_backlog"
#: The results key of the search for the highest due rate kept up (``highest_rate.py``).
HIGHEST_RATE_KEY = "highest_due_rate"
#: The results key of the event-writing commits on PostgreSQL (``event_commits.py``).
EVENT_COMMITS_KEY = "event_commits"
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
    """Compare dispatchd with the fastest and the promptest peer, and everyone with the limit.

    The fastest peer fired the most tasks per second; the promptest had the lowest p99
    lateness. Peers that were skipped do not compete; neither does the bare-loop reference.
    At a rate no peer ran at, dispatchd is compared with the most any peer fired per second
    at a rate where it fell behind (its capacity, measured in this run), said so in
    ``best_peer_basis``. The limit is the bare loop at the same rate: every system's fired/s
    is also given as a fraction of the bare loop's.
    """
    capacity = peer_capacity(results)
    for key in escalation_workloads(results):
        systems = results.workloads[key]
        _add_bare_loop_fractions(systems)
        peers = {s: f for s, f in systems.items() if s in PEER_SYSTEMS and "skipped" not in f}
        if not peers:
            if capacity is not None:
                for store in DISPATCHD_STORES:
                    mine = results.get(key, store)
                    if mine is not None:
                        _compare(mine, *capacity)
            continue
        fastest = max(peers, key=lambda s: peers[s].get("fired_per_s") or 0.0)
        promptest = min(peers, key=lambda s: peers[s].get("lateness_p99_s") or float("inf"))
        best_rate = peers[fastest].get("fired_per_s") or 0.0
        best_p99 = peers[promptest].get("lateness_p99_s")
        for store in DISPATCHD_STORES:
            mine = results.get(key, store)
            if mine is None:
                continue
            _compare(mine, fastest, best_rate, "same due rate")
            mine["promptest_peer"] = promptest
            mine["promptest_peer_lateness_p99_s"] = best_p99
            mine["lateness_p99_vs_promptest_peer"] = (
                round(best_p99 / mine["lateness_p99_s"], 1)
                if best_p99 and mine["lateness_p99_s"]
                else None
            )


def _compare(mine: Figures, peer: str, peer_rate: float, basis: str) -> None:
    mine["best_peer"] = peer
    mine["best_peer_fired_per_s"] = peer_rate
    mine["best_peer_basis"] = basis
    mine["vs_best_peer"] = round(mine["fired_per_s"] / peer_rate, 2) if peer_rate else None


def _add_bare_loop_fractions(systems: dict[str, Figures]) -> None:
    bare = systems.get(REFERENCE_SYSTEM)
    limit = None if bare is None or "skipped" in bare else bare.get("fired_per_s")
    for system, figures in systems.items():
        if system == REFERENCE_SYSTEM or "skipped" in figures:
            continue
        if limit and figures.get("fired_per_s") is not None:
            figures["bare_loop_fired_per_s"] = limit
            figures["bare_loop_lateness_p99_s"] = bare.get("lateness_p99_s") if bare else None
            figures["of_bare_loop"] = round(figures["fired_per_s"] / limit, 3)


def peer_capacity(results: Results) -> tuple[str, float, str] | None:
    """The most a peer fired per second at a rate where it fell behind, and where.

    A peer that kept up fired what came due, not what it could: only runs that fell behind
    say what a peer can do. Returns (peer, fired/s, basis) or None.
    """
    best: tuple[str, float, str] | None = None
    for key in escalation_workloads(results):
        rate = int(key.split("_")[1])
        for system in PEER_SYSTEMS:
            figures = results.get(key, system)
            if figures is None or figures.get("kept_up") or figures.get("fired_per_s") is None:
                continue
            if best is None or figures["fired_per_s"] > best[1]:
                best = (system, figures["fired_per_s"], f"its capacity, at {rate:,} due/s")
    return best


def busy_machine(results: Results) -> bool:
    """Whether the run shared the machine with other work (load above half the cores)."""
    cores = results.meta.get("machine", {}).get("cores") or 1
    loads = [
        results.meta.get(moment, {}).get("loadavg_1m", 0.0)
        for moment in ("host_before", "host_after")
    ]
    return bool(max(loads) > BUSY_LOAD_PER_CORE * cores)
