"""The peers on the deadline workload, run by ``benchmarks/peers`` in their own virtualenv.

Each peer runs as one ``run_peer.py`` process at a time (two at once would measure each other
on two cores), from ``.venv-peers``, which ``benchmarks/peers/setup.sh`` creates when it is
missing.
A peer that cannot be installed or run is reported as skipped with the reason, never as a
figure.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The products a team would otherwise pick, in the order they are run.
PEER_SYSTEMS = ("pgqueuer", "procrastinate", "celery", "huey", "apscheduler")
#: The timer-plus-SQLite loop: a reference for the machine's limit, not a product.
REFERENCE_SYSTEM = "bare_sqlite"
SETUP_TIMEOUT_S = 900
#: How long to wait for someone else's peer benchmark on this machine to finish.
OTHER_RUNS_WAIT_S = 1_800
PEERS_DIR_ENV = "DISPATCHD_BENCH_PEERS_DIR"
#: What run_peer.py may spend besides the window and the grace (set-up, warm-up, teardown).
HARNESS_ALLOWANCE_S = 400
KEPT_FIELDS = (
    "version",
    "settings",
    "scheduled",
    "fired",
    "duplicates",
    "fired_per_s",
    "lateness_p50_s",
    "lateness_p99_s",
    "lateness_max_s",
    "kept_up",
    "lateness_lower_bound",
    "lateness_drift",
    "worker_peak_rss_mb",
    "enqueue_per_s",
    "host_before",
    "host_after",
    "warning",
    "wall_s",
)


def repository_root() -> Path:
    """The checkout this package runs from (it lives in ``benchmarks/src/dispatchd_bench``)."""
    return Path(__file__).resolve().parents[3]


def peers_dir() -> Path:
    """Where ``benchmarks/peers`` lives (overridable, for a package installed elsewhere)."""
    configured = os.environ.get(PEERS_DIR_ENV)
    return Path(configured) if configured else repository_root() / "benchmarks" / "peers"


@dataclass(frozen=True)
class PeerEnvironment:
    """The peers' interpreter, or why there is none."""

    python: Path | None
    problem: str | None = None


def prepare_peers() -> PeerEnvironment:
    """The peers' virtualenv, created by ``benchmarks/peers/setup.sh`` if it is not there yet."""
    directory = peers_dir()
    runner = directory / "run_peer.py"
    if not runner.exists():
        return PeerEnvironment(None, f"no peer harness at {runner}")
    python = directory.parent.parent / ".venv-peers" / "bin" / "python"
    if python.exists():
        return PeerEnvironment(python)
    try:
        done = subprocess.run(
            ["bash", str(directory / "setup.sh")],
            capture_output=True,
            text=True,
            timeout=SETUP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return PeerEnvironment(None, f"benchmarks/peers/setup.sh took over {SETUP_TIMEOUT_S} s")
    if done.returncode != 0 or not python.exists():
        tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
        return PeerEnvironment(None, "benchmarks/peers/setup.sh failed: " + " | ".join(tail))
    return PeerEnvironment(python)


def _other_peer_runs() -> list[int]:
    """Pids of ``run_peer.py`` processes already running (someone else's peer benchmark)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(arg.endswith(b"run_peer.py") for arg in argv):
            found.append(int(entry.name))
    return found


def _wait_for_other_peer_runs(limit_s: float) -> float:
    """Wait until no other peer run is going; returns how long that took.

    Peer runs use fixed scratch databases (``bench_peers_<system>``) and drop them when done,
    and two runs on two cores would measure each other, so they must take turns.
    """
    began = time.monotonic()
    while _other_peer_runs() and time.monotonic() - began < limit_s:
        time.sleep(2)
    return time.monotonic() - began


def run_peer(
    environment: PeerEnvironment, system: str, rate: float, window_s: float, grace_s: float
) -> dict[str, Any]:
    """One peer at one rate: its figures, or ``{"skipped": reason}``."""
    if environment.python is None:
        return {"skipped": environment.problem or "no peers environment"}
    waited = _wait_for_other_peer_runs(OTHER_RUNS_WAIT_S)
    if _other_peer_runs():
        return {"skipped": f"another peer benchmark kept running for {waited:.0f} s"}
    with tempfile.TemporaryDirectory(prefix=f"dispatchd-bench-peer-{system}-") as scratch:
        out = Path(scratch) / "result.json"
        command = [
            str(environment.python),
            str(peers_dir() / "run_peer.py"),
            "--system",
            system,
            "--rate",
            str(rate),
            "--duration",
            str(window_s),
            "--grace",
            str(grace_s),
            "--out",
            str(out),
        ]
        try:
            subprocess.run(
                command,
                capture_output=True,
                timeout=window_s + grace_s + HARNESS_ALLOWANCE_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"skipped": "the peer harness overran its time bound"}
        try:
            result: dict[str, Any] = json.loads(out.read_text())
        except (OSError, ValueError) as exc:
            return {"skipped": f"the peer harness wrote no result ({exc})"}
    if result.get("error"):
        return {"skipped": str(result["error"]), "version": result.get("version")}
    kept = {name: result[name] for name in KEPT_FIELDS if name in result}
    return {**kept, "waited_for_other_peer_runs_s": round(waited, 1)} if waited > 1 else kept
