"""Optional sampling profiles of the measured phases, so the report can say what bounds them.

With ``dispatchd bench --profile DIR``, py-spy samples the process doing dispatchd's work (the
server, or the bench process for in-process workloads) during each measured phase only —
not while the city is seeded — and writes its collapsed stacks to ``DIR/<label>.txt``. The
report then lists where the samples were. py-spy runs non-blocking at a low rate, outside the
measured process, so its cost to the figures is small; it is off unless asked for.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

RATE_HZ = 100
INSTALL_HINT = "py-spy is not installed; install it with `.venv/bin/pip install -e benchmarks/`"
LINE_NUMBER = re.compile(r":\d+\)$")


@dataclass
class _Switch:
    directory: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)


_switch = _Switch()


def enable(directory: Path) -> None:
    """Profile the measured phases of this run into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    _switch.directory = directory


def py_spy() -> str | None:
    """The py-spy executable: beside this interpreter, or on the PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextmanager
def profiled(label: str, pid: int) -> Iterator[None]:
    """Sample ``pid`` for the duration of the block (nothing unless profiling is enabled)."""
    executable = py_spy()
    if _switch.directory is None or executable is None:
        yield
        return
    out = _switch.directory / f"{label}.txt"
    sampler = subprocess.Popen(
        [
            executable,
            "record",
            "--pid",
            str(pid),
            "--nonblocking",
            "--rate",
            str(RATE_HZ),
            "--format",
            "raw",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    began = time.monotonic()
    try:
        yield
    finally:
        _switch.seconds[label] = time.monotonic() - began
        sampler.send_signal(signal.SIGINT)
        try:
            sampler.wait(30)
        except subprocess.TimeoutExpired:
            sampler.kill()


def _split(frame: str) -> tuple[str, str]:
    """``name (path/to/module.py:12)`` → (``name``, ``path/to/module.py``)."""
    name, _, where = LINE_NUMBER.sub(")", frame.strip()).partition(" (")
    return name, where.rstrip(")")


def function_of(frame: str) -> str:
    """``name (path/to/module.py:12)`` → ``name (module.py)``: the lines of a function merged."""
    name, where = _split(frame)
    return f"{name} ({Path(where).name})" if where else name


#: SQLAlchemy's calls into the database driver: their samples are the driver's C code, the
#: database's own work (SQLite runs in-process) and waiting for the disk's fsync.
DRIVER_CALLS = frozenset(
    {
        "DefaultDialect.do_execute",
        "DefaultDialect.do_executemany",
        "DefaultDialect.do_commit",
        "DefaultDialect.do_rollback",
        "DefaultDialect.do_release_savepoint",
    }
)


def layer_of(frame: str) -> str:
    """Which part of the stack a frame belongs to: a library, or a package of dispatchd."""
    name, where = _split(frame)
    if name in DRIVER_CALLS:
        return "database calls (driver, SQLite itself, fsync)"
    if name == "Connection.wait" and where.startswith("psycopg/"):
        return "waiting for PostgreSQL (its work, round trips, fsync)"
    parts = where.split("/")
    if parts[0] == "dispatchd" and len(parts) > 2:
        return f"dispatchd.{parts[1]}"
    return parts[0].removesuffix(".py") or name


@dataclass(frozen=True)
class Profile:
    """Where one phase's busy samples were: by function and by layer of the stack."""

    label: str
    samples: int
    own: list[tuple[str, float]]
    layers: list[tuple[str, float]]
    #: Busy samples per second of the phase over the sampling rate: about how many threads
    #: were running at once (1.0: one core's worth, which one interpreter cannot exceed
    #: for long).
    busy_threads: float | None = None


#: Frames that only say a thread was waiting; they are not where the CPU went.
IDLE = ("Condition.wait", "EpollSelector.select", "Event.wait", "Thread._bootstrap")


def summarise(path: Path, top: int = 8, seconds: float | None = None) -> Profile:
    """The busiest functions and layers of a collapsed-stack file, as shares of busy samples.

    A sample counts for the frame on top of its stack (self time). Samples whose top frame is
    a wait (an idle thread) are left out, so the shares say where the CPU went.
    """
    own: Counter[str] = Counter()
    layers: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        innermost = stack.rsplit(";", 1)[-1]
        if innermost.startswith(("process ", *IDLE)):
            continue
        samples = int(count)
        total += samples
        own[function_of(innermost)] += samples
        layers[layer_of(innermost)] += samples

    def shares(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(f, round(n / max(total, 1), 3)) for f, n in counter.most_common(top)]

    busy = round(total / (seconds * RATE_HZ), 2) if seconds else None
    return Profile(path.stem, total, shares(own), shares(layers), busy)


def profiles() -> list[Profile]:
    """Summaries of every profile written in this run."""
    if _switch.directory is None:
        return []
    found = [(_switch.directory / f"{label}.txt", s) for label, s in _switch.seconds.items()]
    return [
        summarise(path, seconds=s) for path, s in found if path.exists() and path.stat().st_size
    ]
