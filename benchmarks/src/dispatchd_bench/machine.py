"""What the numbers were measured on, and how busy the machine was while they were.

On a shared 2-core machine another process's test suite can halve any figure here, so every
report carries the load average and an fsync probe from before and after the run.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dispatchd import __version__
from dispatchd_bench.throwaway_pg import server_version

FSYNC_PROBE_COMMITS = 100


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _git_revision(root: Path) -> str | None:
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}{' (with uncommitted changes)' if dirty else ''}"


def machine_info(root: Path) -> dict[str, Any]:
    """CPU, cores, memory and the versions that shape the figures."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": server_version(),
        "dispatchd": __version__,
        "git": _git_revision(root),
    }


def host_noise() -> dict[str, Any]:
    """The 1-minute load average and how many SQLite WAL/FULL commits the disk takes per second.

    The same probe as the peers' harness, so the two can be compared.
    """
    with tempfile.TemporaryDirectory(prefix="dispatchd-bench-probe-") as directory:
        conn = sqlite3.connect(Path(directory) / "probe.sqlite", isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("CREATE TABLE p (x INTEGER)")
            started = time.perf_counter()
            done = 0
            while done < FSYNC_PROBE_COMMITS and time.perf_counter() - started < 2.0:
                conn.execute("BEGIN")
                conn.execute("INSERT INTO p VALUES (?)", (done,))
                conn.execute("COMMIT")
                done += 1
            elapsed = time.perf_counter() - started
        finally:
            conn.close()
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "fsync_commits_per_s": round(done / elapsed, 1),
    }


def rss_mib(pid: int) -> dict[str, float]:
    """Resident memory of a process now and at its peak, in MiB (from /proc)."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mib": fields.get("VmRSS", 0.0), "peak_rss_mib": fields.get("VmHWM", 0.0)}
