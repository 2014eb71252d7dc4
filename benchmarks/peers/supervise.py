"""Process supervision for peer workers: process groups, cleanup, memory, time bound, noise.

A benchmark that leaves a Celery pool or a huey consumer running after it returns
poisons every later measurement on a 2-core machine, so every worker is started in a
process group of its own and the whole group is killed on every way out.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType

_PR_SET_PDEATHSIG = 1
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_prctl = ctypes.CDLL(None, use_errno=True).prctl


class HardTimeout(Exception):
    """The run exceeded its total time bound."""


class Terminated(Exception):
    """The harness received SIGTERM or SIGHUP."""


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: SIGKILL it if the harness dies uncleanly.

    It calls only `prctl` through a handle resolved in the parent, so it takes no lock
    that another thread of the parent could have held at fork time.
    """
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _group_pids(pgid: int) -> list[int]:
    """Pids whose process group is `pgid`, read from /proc."""
    pids: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:
            pids.append(int(entry))
    return pids


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class WorkerProcess:
    """One worker command in its own session and process group, output to a log file."""

    def __init__(
        self, argv: Sequence[str], env: Mapping[str, str], log_path: Path, cwd: Path
    ) -> None:
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_path
        self.cwd = cwd
        self.peak_rss_bytes = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._stop_sampling = threading.Event()

    def start(self) -> None:
        """Start the worker, and a thread that records its group's peak resident memory."""
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 (see its docstring)
            )
        threading.Thread(target=self._sample_rss, daemon=True).start()

    def exited(self) -> int | None:
        """The exit code if the worker's main process has ended, else None."""
        return self._proc.poll() if self._proc else None

    def rss_bytes(self) -> int:
        """Resident memory summed over the worker's processes (shared pages count per process)."""
        if self._proc is None:
            return 0
        total = 0
        for pid in _group_pids(self._proc.pid):
            try:
                resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue
            total += resident * _PAGE_SIZE
        return total

    def _sample_rss(self) -> None:
        while not self._stop_sampling.wait(0.5):
            self.peak_rss_bytes = max(self.peak_rss_bytes, self.rss_bytes())

    def stop(self, grace_s: float = 3.0) -> None:
        """SIGTERM the process group, then SIGKILL what is left; safe to call repeatedly."""
        self._stop_sampling.set()
        if self._proc is None:
            return
        pgid = self._proc.pid
        _signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and _group_pids(pgid):
            self._proc.poll()
            time.sleep(0.05)
        _signal_group(pgid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=5)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _group_pids(pgid):
            time.sleep(0.05)

    def log_tail(self, max_chars: int = 2000) -> str:
        """The end of the worker's log, for error reports."""
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return ""
        return data[-max_chars:].decode("utf-8", "replace")


@contextmanager
def signals_as_exceptions() -> Iterator[None]:
    """Raise `Terminated` on SIGTERM/SIGHUP and `HardTimeout` on SIGALRM, so cleanup runs."""

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signal.Signals(signum).name)

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise HardTimeout("total time bound exceeded")

    handlers = {signal.SIGTERM: on_term, signal.SIGHUP: on_term, signal.SIGALRM: on_alarm}
    previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    try:
        yield
    finally:
        signal.alarm(0)
        for sig, old in previous.items():
            signal.signal(sig, old)


def arm_hard_timeout(seconds: float) -> None:
    """(Re)arm the SIGALRM backstop so that the current phase ends within `seconds`."""
    signal.alarm(max(1, int(seconds + 0.999)))


def host_noise(probe_dir: Path, commits: int = 100) -> dict[str, float]:
    """How busy the shared machine is: 1-minute load average and a SQLite WAL/FULL commit rate.

    The CPU and the disk's fsync latency are shared with whatever else runs here, and
    either can halve a peer's numbers; recording them lets a reader discount a run.
    """
    path = probe_dir / "fsync_probe.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE IF NOT EXISTS p (x INTEGER)")
        started = time.perf_counter()
        done = 0
        while done < commits and time.perf_counter() - started < 2.0:
            conn.execute("BEGIN")
            conn.execute("INSERT INTO p VALUES (?)", (done,))
            conn.execute("COMMIT")
            done += 1
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return {
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "fsync_commits_per_s": round(done / elapsed, 1),
    }
