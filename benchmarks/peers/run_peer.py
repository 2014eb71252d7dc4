"""Run one peer job-queue system on the delayed-tasks workload and write its result as JSON.

Usage (from the repository root):
    .venv-peers/bin/python benchmarks/peers/run_peer.py --system pgqueuer --rate 2000 \\
        --duration 5 --out result.json

Every peer goes through the same phases: prepare its storage, start its worker (before
the enqueue, or after it for systems whose worker reads the schedule only at start),
time a small warm-up enqueue, use that rate to place the due window so that the whole
enqueue ends before it, enqueue all N tasks from this one producer, wait for the window
and a grace period, then read the results table and compute the statistics. The
worker's process group is killed on every way out, and SIGALRM bounds the run's time.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peer_api import Peer, RunContext
from supervise import (
    HardTimeout,
    WorkerProcess,
    arm_hard_timeout,
    host_noise,
    signals_as_exceptions,
)
from workload import Plan, ResultsStore, compute_stats, warmup_tasks

PEER_MODULES: dict[str, str] = {
    "bare_sqlite": "peer_bare_sqlite",
    "pgqueuer": "peer_pgqueuer",
    "procrastinate": "peer_procrastinate",
    "celery": "peer_celery",
    "huey": "peer_huey",
    "apscheduler": "peer_apscheduler",
}

#: The first warm-up tasks pay for the producer's connection set-up and are not timed.
WARMUP_UNTIMED = 20
#: The timed warm-up is this share of N, within the bounds below: large enough that one
#: stall of the shared disk does not multiply the planned lead, small enough to be quick.
WARMUP_SHARE = 0.02
WARMUP_TIMED_MIN = 180
WARMUP_TIMED_MAX = 1000
#: The enqueue is planned to take this many times as long as the warm-up rate predicts.
ENQUEUE_SAFETY = 1.5
#: Time allowed for a worker that starts after the enqueue to come up before the window.
LATE_START_ALLOWANCE_S = 3.0
SETUP_BUDGET_S = 120.0
WARMUP_TIMEOUT_S = 60.0
TEARDOWN_BUDGET_S = 60.0
POLL_S = 0.5


class PeerFailure(Exception):
    """The peer (not the harness) misbehaved: its worker died or never ran a task."""


@dataclass
class RunState:
    """What must be undone whatever happens: the worker to kill, the peer's storage to drop."""

    worker: WorkerProcess | None = None
    peer: Peer | None = None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line used by the lead's benchmark driver."""
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--system", required=True, choices=sorted(PEER_MODULES))
    p.add_argument("--rate", type=float, required=True, help="tasks due per second (R)")
    p.add_argument("--duration", type=float, required=True, help="due window in seconds (W)")
    p.add_argument("--out", type=Path, required=True, help="where to write the JSON result")
    p.add_argument(
        "--workdir", type=Path, help="scratch directory to use and keep (default: temporary)"
    )
    p.add_argument(
        "--grace",
        type=float,
        default=60.0,
        help="max seconds to wait after the window for tasks still to fire (default 60)",
    )
    p.add_argument(
        "--margin",
        type=float,
        default=2.0,
        help="planned seconds between the end of the enqueue and the first due time (default 2)",
    )
    p.add_argument(
        "--pg",
        default=os.environ.get("BENCH_PEERS_PG", "host=127.0.0.1 port=5432 user=postgres"),
        help="libpq conninfo of the PostgreSQL server, without dbname",
    )
    p.add_argument(
        "--redis-url", default=os.environ.get("BENCH_PEERS_REDIS", "redis://127.0.0.1:6379/0")
    )
    p.add_argument(
        "--keep-db", action="store_true", help="keep the peer's scratch database / Redis keys"
    )
    args = p.parse_args(argv)
    if args.rate <= 0 or args.duration <= 0:
        p.error("--rate and --duration must be positive")
    return args


def load_peer(ctx: RunContext) -> Peer:
    """Import the peer's module once its settings are in the environment, and instantiate it."""
    os.environ.update(ctx.service_env())
    module = importlib.import_module(PEER_MODULES[ctx.system])
    peer_class: type[Peer] = module.PEER_CLASS
    return peer_class(ctx)


def check_alive(worker: WorkerProcess) -> None:
    """Fail the run if the worker's main process has exited."""
    code = worker.exited()
    if code is not None:
        raise PeerFailure(f"worker exited early with code {code}")


def wait_for_warmup(
    store: ResultsStore, count: int, worker: WorkerProcess, timeout_s: float
) -> None:
    """Block until the worker has run every warm-up task: it is up, connected and warm."""
    deadline = time.monotonic() + timeout_s
    while store.count_distinct(warmup=True) < count:
        check_alive(worker)
        if time.monotonic() > deadline:
            raise PeerFailure(f"worker did not run {count} warm-up tasks in {timeout_s:.0f} s")
        time.sleep(0.1)


def sleep_until(wall_time: float, worker: WorkerProcess) -> None:
    """Sleep until `wall_time` (epoch seconds), checking that the worker stays alive."""
    while (left := wall_time - time.time()) > 0:
        check_alive(worker)
        time.sleep(min(POLL_S, left))


def run(args: argparse.Namespace, ctx: RunContext, result: dict[str, Any], state: RunState) -> None:
    """The measured part of a run; fills `result` as it goes, so a failure still reports."""
    result["host_before"] = host_noise(ctx.workdir)
    peer = state.peer = load_peer(ctx)
    result["version"] = peer.version()
    result["settings"] = peer.settings()

    store = peer.prepare()
    result["results_store"] = store.description
    worker = state.worker = WorkerProcess(
        peer.worker_argv(), ctx.worker_env(), ctx.workdir / "worker.log", ctx.workdir
    )

    planned_n = Plan(args.rate, args.duration, 0.0).count
    timed_n = min(max(round(planned_n * WARMUP_SHARE), WARMUP_TIMED_MIN), WARMUP_TIMED_MAX)
    warmup = warmup_tasks(WARMUP_UNTIMED + timed_n, time.time())
    if peer.worker_first:
        worker.start()
    peer.enqueue(warmup[:WARMUP_UNTIMED])
    timed = warmup[WARMUP_UNTIMED:]
    started = time.time()
    peer.enqueue(timed)
    warmup_enqueue_s = max(time.time() - started, 1e-3)
    if peer.worker_first:
        wait_for_warmup(store, len(warmup), worker, WARMUP_TIMEOUT_S)

    predicted_enqueue_s = planned_n / len(timed) * warmup_enqueue_s
    lead_s = args.margin + ENQUEUE_SAFETY * predicted_enqueue_s
    if not peer.worker_first:
        lead_s += LATE_START_ALLOWANCE_S
    plan = Plan(args.rate, args.duration, time.time() + lead_s)
    arm_hard_timeout(2 * lead_s + args.duration + args.grace + 30)
    result["warmup_tasks"] = len(warmup)
    result["predicted_enqueue_s"] = round(predicted_enqueue_s, 3)
    result["lead_s"] = round(lead_s, 3)

    tasks = plan.tasks()
    enqueue_start = time.time()
    peer.enqueue(tasks)
    peer.after_enqueue()
    peer.close_producer()
    enqueue_s = time.time() - enqueue_start
    result["enqueue_s"] = round(enqueue_s, 3)
    result["enqueue_per_s"] = round(len(tasks) / max(enqueue_s, 1e-6), 1)
    if not peer.worker_first:
        worker.start()
        wait_for_warmup(
            store, len(warmup), worker, max(plan.t0 + args.duration - time.time(), 10.0)
        )
    result["slack_before_window_s"] = round(plan.t0 - time.time(), 3)

    window_end = plan.t0 + args.duration
    sleep_until(window_end, worker)
    give_up = window_end + args.grace
    while store.count_distinct(warmup=False) < plan.count and time.time() < give_up:
        check_alive(worker)
        time.sleep(POLL_S)
    observed_until = time.time()
    result["worker_peak_rss_mb"] = round(worker.peak_rss_bytes / 2**20, 1)
    worker.stop()
    result["host_after"] = host_noise(ctx.workdir)

    stats = compute_stats(plan, store.rows(), observed_until)
    result.update(
        scheduled=stats.scheduled,
        fired=stats.fired,
        duplicates=stats.duplicates,
        fired_per_s=stats.fired_per_s,
        lateness_p50_s=stats.lateness_p50_s,
        lateness_p99_s=stats.lateness_p99_s,
        lateness_max_s=stats.lateness_max_s,
        kept_up=stats.kept_up,
        lateness_lower_bound=stats.lateness_lower_bound,
        lateness_drift=stats.lateness_drift,
        waited_after_window_s=round(observed_until - window_end, 3),
    )
    if result["slack_before_window_s"] < 0:
        result["warning"] = "the enqueue overran the planned lead: early tasks were due during it"


def teardown(state: RunState, keep_storage: bool, result: dict[str, Any]) -> None:
    """Kill the worker group, close the producer, drop the peer's storage; record failures."""
    steps = [
        state.worker.stop if state.worker else None,
        state.peer.close_producer if state.peer else None,
        state.peer.cleanup if state.peer and not keep_storage else None,
    ]
    for step in steps:
        if step is None:
            continue
        try:
            step()
        except (Exception, KeyboardInterrupt) as exc:
            result.setdefault("cleanup_errors", []).append(f"{type(exc).__name__}: {exc}")


def describe_failure(exc: BaseException) -> str:
    """The result's "error" text for an exception that ended the run."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (SIGINT)"
    if isinstance(exc, HardTimeout):
        return f"timeout: {exc}"
    return f"{type(exc).__name__}: {exc}"


def json_safe(value: Any) -> Any:
    """Round floats for readability, and turn NaN/inf into null, which JSON cannot carry."""
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    return value


def main(argv: list[str] | None = None) -> int:
    """Run one peer; always write the JSON; exit 0 only if the peer ran to the end."""
    args = parse_args(argv)
    wall_start = time.monotonic()
    own_workdir = args.workdir is None
    if own_workdir:
        workdir = Path(tempfile.mkdtemp(prefix=f"bench_peers_{args.system}_"))
    else:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    ctx = RunContext(args.system, workdir, pg_base=args.pg, redis_url=args.redis_url)
    result: dict[str, Any] = {
        "system": args.system,
        "version": None,
        "settings": None,
        "rate": args.rate,
        "duration": args.duration,
    }
    state = RunState()
    exit_code = 0
    with signals_as_exceptions():
        try:
            arm_hard_timeout(SETUP_BUDGET_S)
            run(args, ctx, result, state)
        except (Exception, KeyboardInterrupt) as exc:
            signal.alarm(0)
            exit_code = 130 if isinstance(exc, KeyboardInterrupt) else 1
            result["error"] = describe_failure(exc)
            if state.worker is not None:
                result["worker_log_tail"] = state.worker.log_tail()
        finally:
            signal.alarm(0)
            arm_hard_timeout(TEARDOWN_BUDGET_S)
            teardown(state, keep_storage=args.keep_db, result=result)
            signal.alarm(0)
            if own_workdir:
                shutil.rmtree(workdir, ignore_errors=True)
            result["wall_s"] = round(time.monotonic() - wall_start, 3)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            out = {key: json_safe(value) for key, value in result.items()}
            args.out.write_text(json.dumps(out, indent=2) + "\n")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
