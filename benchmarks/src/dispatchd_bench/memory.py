"""Resident memory of a ``dispatchd serve`` process whose database holds N open offers.

Offers are seeded in bulk (as the escalation workload seeds them) with their first step due a
day later, so the engine runs but finds nothing due: the figure is what the process keeps for
a database of that size, at start-up and after the engine has idle-polled for a while. An
engine that kept deadlines or offers in memory would show here.

The database is seeded in a RAM-backed directory when there is room (``/dev/shm``): a million
offers seed several times faster there on a shared disk, and the server's RSS is the same
either way, since SQLite reads its file through the page cache, which is not part of RSS.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dispatchd_bench.city import dispatcher_for, new_data_dir
from dispatchd_bench.escalation import seed_due_evenly
from dispatchd_bench.http_orders import Server
from dispatchd_bench.machine import rss_mib

#: The seeded offers' first steps are spread over this many seconds, a day from now.
SPREAD_S = 3_600.0
RAM_DIR = Path("/dev/shm")
#: Room to ask for per offer: the database takes under 1 KB an offer, its WAL some more.
BYTES_PER_OFFER_ROOM = 3_000


def _scratch(offers: int) -> Path:
    """A data directory in RAM if it has room for the database, else on disk."""
    if RAM_DIR.is_dir() and shutil.disk_usage(RAM_DIR).free > offers * BYTES_PER_OFFER_ROOM:
        return Path(tempfile.mkdtemp(prefix="dispatchd-bench-memory-", dir=RAM_DIR))
    return new_data_dir("memory")


def run_memory(offers: int, idle_s: float) -> dict[str, Any]:
    """Seed ``offers`` open offers into SQLite, start the server, read its RSS twice."""
    data_dir = _scratch(offers)
    try:
        began = time.perf_counter()
        with dispatcher_for(data_dir) as dispatcher:
            first_due = datetime.now(UTC) + timedelta(days=1)
            seed_due_evenly(dispatcher, offers, rate=offers * 3 / SPREAD_S, first_due=first_due)
        seeded_s = time.perf_counter() - began
        database_mib = (
            sum(
                f.stat().st_size
                for f in data_dir.iterdir()
                if f.name.startswith("dispatchd.sqlite")
            )
            / 2**20
        )
        started = time.perf_counter()
        server = Server(data_dir=data_dir)
        try:
            ready_s = time.perf_counter() - started
            at_start = rss_mib(server.process.pid)
            time.sleep(idle_s)
            after_idle = rss_mib(server.process.pid)
        finally:
            server.stop()
        return {
            "open_offers": offers,
            "seeded_in_s": round(seeded_s, 1),
            "database": "sqlite",
            "database_in_ram": data_dir.is_relative_to(RAM_DIR),
            "database_mib": round(database_mib, 1),
            "ready_in_s": round(ready_s, 2),
            "rss_after_start_mib": at_start["rss_mib"],
            "idle_s": idle_s,
            "rss_after_idle_mib": after_idle["rss_mib"],
            "peak_rss_mib": after_idle["peak_rss_mib"],
        }
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
