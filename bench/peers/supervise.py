"""Process supervision for peer workers: own process group, guaranteed cleanup, memory sampling, hard timeout.

A benchmark that leaves a Celery pool or a huey consumer running after it returns
poisons every later measurement on a 2-core machine, so every worker is started in a
process group of its own and the whole group is killed on every way out.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

_PR_SET_PDEATHSIG = 1
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class HardTimeout(Exception):
    """The run exceeded its total time bound."""


class Terminated(Exception):
    """The harness received SIGTERM or SIGHUP."""


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGKILL it if the harness dies without cleaning up."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


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


class WorkerProcess:
    """One peer worker command, run in its own session/process group with output to a log file."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], log_path: Path, cwd: Path) -> None:
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_path
        self.cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None
        self.peak_rss_bytes = 0
        self._sampler: threading.Thread | None = None
        self._stop_sampling = threading.Event()

    def start(self) -> None:
        """Start the worker and a thread that records the group's peak resident memory."""
        log = open(self.log_path, "ab")
        try:
            self._proc = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        finally:
            log.close()
        self._sampler = threading.Thread(target=self._sample_rss, daemon=True)
        self._sampler.start()

    @property
    def pid(self) -> int | None:
        """The worker's pid (also its process group id), once started."""
        return self._proc.pid if self._proc else None

    def exited(self) -> int | None:
        """The exit code if the worker's main process has ended, else None."""
        return self._proc.poll() if self._proc else None

    def rss_bytes(self) -> int:
        """Resident memory summed over the worker's process group (shared pages counted per process)."""
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
        """SIGTERM the process group, then SIGKILL whatever is left of it; safe to call repeatedly."""
        self._stop_sampling.set()
        if self._proc is None:
            return
        pgid = self._proc.pid
        self._signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and _group_pids(pgid):
            self._proc.poll()
            time.sleep(0.05)
        self._signal_group(pgid, signal.SIGKILL)
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _group_pids(pgid):
            time.sleep(0.05)

    @staticmethod
    def _signal_group(pgid: int, sig: signal.Signals) -> None:
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def log_tail(self, max_chars: int = 2000) -> str:
        """The end of the worker's log, for error reports."""
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return ""
        return data[-max_chars:].decode("utf-8", "replace")


@contextmanager
def signals_as_exceptions() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into `Terminated` and SIGALRM into `HardTimeout` so `finally` blocks run."""

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signal.Signals(signum).name)

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise HardTimeout("total time bound exceeded")

    previous: dict[int, Callable[[int, FrameType | None], object] | int | None] = {}
    for sig, handler in ((signal.SIGTERM, on_term), (signal.SIGHUP, on_term), (signal.SIGALRM, on_alarm)):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        signal.alarm(0)
        for sig, old in previous.items():
            signal.signal(sig, old)  # type: ignore[arg-type]


def arm_hard_timeout(seconds: float) -> None:
    """(Re)arm the SIGALRM backstop so that the whole run ends within `seconds` from now."""
    signal.alarm(max(1, int(seconds + 0.999)))


def host_noise(probe_dir: Path, commits: int = 100) -> dict[str, float]:
    """How busy the shared machine is: 1-minute load average and a SQLite WAL FULL commit rate.

    Both the CPU and the disk's fsync latency are shared with whatever else runs here,
    and either can halve a peer's numbers; recording them lets a reader discount a run.
    """
    import sqlite3

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
    return {"loadavg_1m": round(os.getloadavg()[0], 2), "fsync_commits_per_s": round(done / elapsed, 1)}
