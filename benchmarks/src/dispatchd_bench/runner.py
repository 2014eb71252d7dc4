"""``dispatchd bench``: every workload in one run, with progress bars, then the report.

Each workload runs beside the peers doing the same job, one thing at a time (on two cores two
measurements at once would measure each other). A workload that fails is reported as skipped
with its reason, and the run goes on: one missing peer must not cost the other figures.
"""

from __future__ import annotations

import os
import shutil
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from dispatchd_bench import profiling
from dispatchd_bench.backlog import run_backlog
from dispatchd_bench.carry import carry_over, read_earlier
from dispatchd_bench.city import new_data_dir
from dispatchd_bench.escalation import PERIOD_S, STEPS_PER_OFFER, run_escalation
from dispatchd_bench.event_commits import MODES, run_event_commits
from dispatchd_bench.highest_rate import search, trial_of
from dispatchd_bench.http_orders import run_http_orders
from dispatchd_bench.locations import run_locations_http, run_locations_service
from dispatchd_bench.machine import host_noise, machine_info
from dispatchd_bench.memory import run_memory
from dispatchd_bench.nearest import run_nearest
from dispatchd_bench.peers import (
    PEER_SYSTEMS,
    REFERENCE_SYSTEM,
    PeerEnvironment,
    prepare_peers,
    repository_root,
    run_peer,
)
from dispatchd_bench.plan import WORKLOADS, Plan
from dispatchd_bench.profiling import profiled
from dispatchd_bench.report import JSON_NAME, write_report
from dispatchd_bench.results import BACKLOG_KEY, EVENT_COMMITS_KEY, HIGHEST_RATE_KEY, Results
from dispatchd_bench.sse import raise_open_file_limit, run_sse
from dispatchd_bench.throwaway_pg import server_url, server_version, throwaway_database

#: Seconds of ramp at each end of dispatchd's escalation window (see escalation.py).
RAMP_S = (STEPS_PER_OFFER - 1) * PERIOD_S
#: Seconds a peer's search run waits after its window for late tasks: a task still pending
#: then has missed a 200 ms promise by far, and counts as late until the end anyway.
PEER_SEARCH_GRACE_S = 15.0


@dataclass(frozen=True)
class Step:
    """One measurement: where its figures go and how to take them."""

    workload: str
    system: str
    label: str
    run: Callable[[], dict[str, Any]]
    needs_postgresql: bool = False


@dataclass
class Outcome:
    """What a run wrote."""

    results: Results
    written: list[Path] = field(default_factory=list)
    plot_problem: str | None = None

    def dispatchd_failures(self) -> list[str]:
        """dispatchd's own measurements that could not be taken (peers' are not counted)."""
        peers = (*PEER_SYSTEMS, REFERENCE_SYSTEM, "fastest_peer")
        return [
            f"{workload} / {system}: {figures['skipped']}"
            for workload, systems in self.results.workloads.items()
            for system, figures in systems.items()
            if "skipped" in figures and system not in peers
        ]


def escalation_key(rate: float) -> str:
    """The results key of the escalation workload at one rate."""
    return f"escalation_{int(rate)}_per_s"


def _store_url(store: str, label: str) -> Any:
    """A throwaway PostgreSQL database for ``postgresql``, nothing for SQLite."""
    return throwaway_database(label) if store == "postgresql" else nullcontext(None)


def _dispatchd_escalation(
    rate: float, plan: Plan, store: str, profile: bool = True
) -> dict[str, Any]:
    data_dir = new_data_dir("escalation")
    try:
        label = f"escalation_{int(rate)}_{store}"
        sampled = profiled(label, os.getpid()) if profile else nullcontext()
        with _store_url(store, "escalation") as url, sampled:
            result = run_escalation(
                rate, plan.escalation_window_s + RAMP_S, database_url=url, data_dir=data_dir
            )
        return {**result.as_dict(), "window_s": plan.escalation_window_s, "ramp_s": RAMP_S}
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _highest_rate_dispatchd(plan: Plan, store: str, results: Results) -> dict[str, Any]:
    system = f"dispatchd_{store}"
    known = [
        trial_of(rate, figures, measured_here=False)
        for rate in plan.escalation_rates
        if (figures := results.get(escalation_key(rate), system)) is not None
    ]
    found = search(
        lambda rate: _dispatchd_escalation(rate, plan, store, profile=False),
        plan.highest_rate_start,
        plan.highest_rate_runs,
        plan.highest_rate_budget_s,
        known,
    )
    return {"store": store, "window_s": plan.escalation_window_s, **found.as_dict()}


def _highest_rate_peer(plan: Plan, peers: PeerEnvironment, results: Results) -> dict[str, Any]:
    fastest = fastest_peer(results, plan.peer_rates)
    if fastest is None:
        return {"skipped": "no peer was measured at the fixed rates"}
    known = [
        trial_of(rate, figures, measured_here=False)
        for rate in plan.peer_rates
        if (figures := results.get(escalation_key(rate), fastest)) is not None
    ]
    grace = min(plan.peer_grace_s, PEER_SEARCH_GRACE_S)
    found = search(
        lambda rate: run_peer(peers, fastest, rate, plan.escalation_window_s, grace),
        plan.highest_rate_start,
        plan.highest_rate_runs,
        plan.highest_rate_budget_s,
        known,
    )
    return {"peer": fastest, "window_s": plan.escalation_window_s, **found.as_dict()}


def fastest_peer(results: Results, rates: Sequence[float]) -> str | None:
    """The peer that fired the most per second at the highest rate the peers ran at."""
    for rate in sorted(rates, reverse=True):
        measured = {
            system: figures["fired_per_s"]
            for system in PEER_SYSTEMS
            if (figures := results.get(escalation_key(rate), system)) is not None
            and figures.get("fired_per_s") is not None
        }
        if measured:
            return max(measured, key=lambda system: measured[system])
    return None


def _backlog(plan: Plan, store: str) -> dict[str, Any]:
    data_dir = new_data_dir("backlog")
    try:
        with _store_url(store, "backlog") as url, profiled(f"backlog_{store}", os.getpid()):
            return run_backlog(plan.backlog_pending, url, data_dir).as_dict()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _http_orders(plan: Plan, store: str) -> dict[str, Any]:
    with _store_url(store, "http") as url:
        figures = run_http_orders(plan.http_orders, plan.http_concurrency, url)
    flat: dict[str, Any] = {"store": store, "concurrency": figures["concurrency"]}
    for part in (
        "trivial_endpoint",
        "trivial_endpoint_plain_stack",
        "create_order",
        "accept_offer",
    ):
        for name, value in figures[part].items():
            flat[f"{part}_{name}"] = value
    flat["orders_vs_trivial"] = figures["orders_vs_trivial"]
    return flat


def _locations_service(plan: Plan, store: str, callers: int) -> dict[str, Any]:
    with _store_url(store, "locations") as url:
        return run_locations_service(plan.location_installers, callers, plan.location_seconds, url)


def _locations_http(plan: Plan, store: str) -> dict[str, Any]:
    with _store_url(store, "locations_http") as url:
        return run_locations_http(
            plan.location_installers, plan.location_requests, plan.location_concurrency, url
        )


def _event_commits(plan: Plan, mode: str, processes: int) -> dict[str, Any]:
    with throwaway_database("events") as url:
        return run_event_commits(
            mode, processes, plan.event_commit_threads, plan.event_commit_seconds, url
        )


def _event_commit_steps(plan: Plan) -> list[Step]:
    return [
        Step(
            EVENT_COMMITS_KEY,
            f"{mode}_{processes}_processes",
            f"event-writing commits · {mode}, {processes} processes",
            lambda mode=mode, processes=processes: _event_commits(  # type: ignore[misc]
                plan, mode, processes
            ),
            True,
        )
        for processes in plan.event_commit_processes
        for mode in MODES
    ]


def build_steps(
    plan: Plan, only: Sequence[str], peers: PeerEnvironment | None, results: Results
) -> list[Step]:
    """The measurements of this run, in the order they are taken.

    ``results`` fills up as the steps run: a later step (the search for the highest rate
    kept up) reads the figures of earlier ones.
    """
    steps: list[Step] = []
    if "escalation" in only:
        steps += _escalation_steps(plan, peers, results)
    if "http" in only:
        for store in plan.http_stores:
            steps.append(
                Step(
                    "http_orders",
                    f"dispatchd_{store}",
                    f"orders over HTTP on {store}",
                    lambda store=store: _http_orders(plan, store),  # type: ignore[misc]
                    store == "postgresql",
                )
            )
    if "nearest" in only:
        for size in plan.nearest_sizes:
            steps.append(
                Step(
                    f"nearest_{size}",
                    "*",
                    f"nearest installer among {size:,}",
                    lambda size=size: run_nearest(  # type: ignore[misc]
                        size, plan.nearest_queries, plan.nearest_brute_queries
                    ),
                )
            )
    if "locations" in only:
        steps += _location_steps(plan)
    if "sse" in only:
        for streams in plan.sse_streams:
            steps.append(
                Step(
                    f"sse_{streams}_streams",
                    "dispatchd_sqlite",
                    f"{streams:,} event streams",
                    lambda streams=streams: run_sse(  # type: ignore[misc]
                        streams, plan.sse_orders_per_s, plan.sse_seconds
                    ),
                )
            )
    if "events" in only:
        steps += _event_commit_steps(plan)
    if "memory" in only:
        steps.append(
            Step(
                "memory",
                "dispatchd_sqlite",
                f"memory with {plan.memory_offers:,} open offers",
                lambda: run_memory(plan.memory_offers, plan.memory_idle_s),
            )
        )
    return steps


def _escalation_steps(plan: Plan, peers: PeerEnvironment | None, results: Results) -> list[Step]:
    steps = [
        Step(
            BACKLOG_KEY,
            f"dispatchd_{store}",
            f"{plan.backlog_pending:,} pending deadlines · dispatchd on {store}",
            lambda store=store: _backlog(plan, store),  # type: ignore[misc]
            store == "postgresql",
        )
        for store in ("sqlite", "postgresql")
    ]
    for rate in plan.escalation_rates:
        key = escalation_key(rate)
        for store in ("sqlite", "postgresql"):
            steps.append(
                Step(
                    key,
                    f"dispatchd_{store}",
                    f"escalation {rate:,.0f}/s · dispatchd on {store}",
                    lambda rate=rate, store=store: _dispatchd_escalation(  # type: ignore[misc]
                        rate, plan, store
                    ),
                    store == "postgresql",
                )
            )
        if peers is None:
            continue
        systems = plan.peer_systems if rate in plan.peer_rates else ()
        if rate in plan.reference_rates:
            systems = (*systems, REFERENCE_SYSTEM)
        for system in systems:
            steps.append(
                Step(
                    key,
                    system,
                    f"escalation {rate:,.0f}/s · {system}",
                    lambda rate=rate, system=system: run_peer(  # type: ignore[misc]
                        peers, system, rate, plan.escalation_window_s, plan.peer_grace_s
                    ),
                )
            )
    for store in plan.highest_rate_stores:
        steps.append(
            Step(
                HIGHEST_RATE_KEY,
                f"dispatchd_{store}",
                f"highest due rate kept up · dispatchd on {store}",
                lambda store=store: _highest_rate_dispatchd(  # type: ignore[misc]
                    plan, store, results
                ),
                store == "postgresql",
            )
        )
    if peers is not None and plan.highest_rate_peer:
        steps.append(
            Step(
                HIGHEST_RATE_KEY,
                "fastest_peer",
                "highest due rate kept up · the fastest peer",
                lambda: _highest_rate_peer(plan, peers, results),
            )
        )
    return steps


def _location_steps(plan: Plan) -> list[Step]:
    steps = []
    for store in plan.location_stores:
        for callers in plan.location_callers:
            steps.append(
                Step(
                    "location_updates",
                    f"service_{store}_{callers}_callers",
                    f"location updates · service layer on {store}, {callers} callers",
                    lambda store=store, callers=callers: _locations_service(  # type: ignore[misc]
                        plan, store, callers
                    ),
                    store == "postgresql",
                )
            )
        steps.append(
            Step(
                "location_updates",
                f"http_{store}",
                f"location updates · HTTP on {store}",
                lambda store=store: _locations_http(plan, store),  # type: ignore[misc]
                store == "postgresql",
            )
        )
    return steps


def run_bench(
    plan: Plan,
    only: Sequence[str],
    out_dir: Path,
    with_peers: bool,
    console: Console,
    profile_dir: Path | None = None,
) -> Outcome:
    """Take every measurement of the plan, then write the report files into ``out_dir``."""
    raise_open_file_limit()
    began = time.monotonic()
    results = Results()
    if profile_dir is not None:
        if profiling.py_spy() is None:
            results.meta["skipped"]["profiles"] = profiling.INSTALL_HINT
        else:
            profiling.enable(profile_dir)
    results.meta["machine"] = machine_info(repository_root())
    results.meta["host_before"] = host_noise()
    results.meta["steps"] = []
    postgres = server_version()
    with _progress(console) as progress:
        peers = None
        if with_peers and "escalation" in only:
            task = progress.add_task("peers · preparing .venv-peers", total=None)
            peers = prepare_peers()
            progress.remove_task(task)
            if peers.problem:
                results.meta["skipped"]["peers"] = peers.problem
        steps = build_steps(plan, only, peers, results)
        overall = progress.add_task("benchmarks", total=len(steps))
        for step in steps:
            progress.update(overall, description=step.label)
            if step.needs_postgresql and postgres is None:
                figures: dict[str, Any] = {"skipped": f"no PostgreSQL answers at {server_url()}"}
            else:
                started = time.monotonic()
                figures = _take(step)
                results.meta["steps"].append(
                    {
                        "step": step.label,
                        "took_s": round(time.monotonic() - started, 1),
                        "loadavg_1m_after": round(os.getloadavg()[0], 2),
                    }
                )
            if step.system == "*" and "skipped" not in figures:
                for system, values in figures.items():
                    if isinstance(values, dict):
                        results.put(step.workload, system, values)
            else:
                system = "index_k1" if step.system == "*" else step.system
                results.put(step.workload, system, figures)
            progress.advance(overall)
    results.meta["host_after"] = host_noise()
    results.meta["profiles"] = [asdict(found) for found in profiling.profiles()]
    results.meta["run"] = {
        "mode": plan.name,
        "workloads": list(only),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "took_s": round(time.monotonic() - began, 1),
        "plan": _plan_summary(plan),
    }
    if set(only) != set(WORKLOADS):
        earlier = read_earlier(out_dir / JSON_NAME)
        if earlier is not None:
            carry_over(results, earlier, only)
    written, plot_problem = write_report(results, out_dir)
    return Outcome(results, written, plot_problem)


def _take(step: Step) -> dict[str, Any]:
    try:
        return step.run()
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        reason = f"{type(exc).__name__}: {exc}".strip()
        return {"skipped": f"{reason} (at {Path(where.filename).name}:{where.lineno})"}


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _plan_summary(plan: Plan) -> dict[str, Any]:
    return {name: getattr(plan, name) for name in plan.__dataclass_fields__ if name != "name"}
