"""How big each workload is in a full run and in a quick one.

The quick run is a smoke test that CI can afford (under two minutes with everything in it):
the same code paths at sizes that still say something. The full run is the one whose figures
go into ``docs/benchmarks.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatchd_bench.peers import PEER_SYSTEMS

WORKLOADS = ("escalation", "http", "nearest", "locations", "sse", "memory", "events")


@dataclass(frozen=True)
class Plan:
    """Sizes and durations of one run."""

    name: str
    escalation_rates: tuple[float, ...]
    #: Seconds during which steps (tasks) come due at the full rate, for dispatchd and peers.
    escalation_window_s: float
    #: Deadlines pending and all due at once, for the engine's backlog drain.
    backlog_pending: int
    peer_systems: tuple[str, ...]
    peer_rates: tuple[float, ...]
    #: Rates at which the bare loop runs beside dispatchd: the machine's limit at each rate.
    reference_rates: tuple[float, ...]
    peer_grace_s: float
    #: The search for the highest due rate kept up (``highest_rate.py``): where it starts,
    #: how many runs it may add to the fixed-rate ones, and the time each search may take.
    highest_rate_start: float
    highest_rate_runs: int
    highest_rate_budget_s: float
    highest_rate_stores: tuple[str, ...]
    #: Whether the fastest peer is searched too (its runs are whole peer harness runs).
    highest_rate_peer: bool
    http_orders: int
    http_concurrency: int
    http_stores: tuple[str, ...]
    nearest_sizes: tuple[int, ...]
    nearest_queries: int
    nearest_brute_queries: int
    location_installers: int
    location_callers: tuple[int, ...]
    location_seconds: float
    location_requests: int
    location_concurrency: int
    location_stores: tuple[str, ...]
    sse_streams: tuple[int, ...]
    sse_orders_per_s: float
    sse_seconds: float
    memory_offers: int
    memory_idle_s: float
    #: Writer processes (each with ``event_commit_threads`` threads) committing events.
    event_commit_processes: tuple[int, ...]
    event_commit_threads: int
    event_commit_seconds: float


FULL = Plan(
    name="full",
    escalation_rates=(2_000.0, 10_000.0, 20_000.0),
    escalation_window_s=5.0,
    backlog_pending=100_000,
    peer_systems=PEER_SYSTEMS,
    peer_rates=(2_000.0, 10_000.0),
    reference_rates=(2_000.0, 10_000.0, 20_000.0),
    peer_grace_s=60.0,
    highest_rate_start=2_000.0,
    highest_rate_runs=5,
    highest_rate_budget_s=300.0,
    highest_rate_stores=("sqlite", "postgresql"),
    highest_rate_peer=True,
    http_orders=3_000,
    http_concurrency=32,
    http_stores=("sqlite", "postgresql"),
    nearest_sizes=(10_000, 100_000),
    nearest_queries=5_000,
    nearest_brute_queries=200,
    location_installers=2_000,
    location_callers=(1, 8),
    location_seconds=5.0,
    location_requests=5_000,
    location_concurrency=32,
    location_stores=("sqlite", "postgresql"),
    sse_streams=(1_000, 10_000),
    sse_orders_per_s=20.0,
    sse_seconds=10.0,
    memory_offers=1_000_000,
    memory_idle_s=60.0,
    event_commit_processes=(1, 2, 4),
    event_commit_threads=4,
    event_commit_seconds=5.0,
)

QUICK = Plan(
    name="quick",
    escalation_rates=(2_000.0,),
    escalation_window_s=2.0,
    backlog_pending=10_000,
    peer_systems=("pgqueuer",),
    peer_rates=(2_000.0,),
    reference_rates=(),
    peer_grace_s=10.0,
    highest_rate_start=2_000.0,
    highest_rate_runs=1,
    highest_rate_budget_s=30.0,
    highest_rate_stores=("sqlite",),
    highest_rate_peer=False,
    http_orders=500,
    http_concurrency=16,
    http_stores=("sqlite",),
    nearest_sizes=(10_000,),
    nearest_queries=1_000,
    nearest_brute_queries=50,
    location_installers=500,
    location_callers=(1, 8),
    location_seconds=1.0,
    location_requests=1_000,
    location_concurrency=16,
    location_stores=("sqlite",),
    sse_streams=(1_000,),
    sse_orders_per_s=20.0,
    sse_seconds=3.0,
    memory_offers=100_000,
    memory_idle_s=3.0,
    event_commit_processes=(1, 2, 4),
    event_commit_threads=4,
    event_commit_seconds=1.0,
)
