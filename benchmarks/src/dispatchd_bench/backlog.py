"""A backlog of pending deadlines, all due at once: how fast the engine works it off.

This is the engine's capacity with nothing else in the way — no pacing, no waiting for the
next due time — as after a long outage or when a burst of offers lapses together. The
offers stand a third each before their remind, penalize and revoke rung, so the mix is that
of a running ladder; the next rungs lie an hour ahead, so only the pending deadlines fire.
Each one goes through the real ``DeadlineEngine`` and the service layer: state, event,
ledger entry, alert, re-dispatch, next deadline, one transaction per batch.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dispatchd.config import Settings
from dispatchd.domain.escalation import EscalationStep, Ladder, StepAction
from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.bootstrap import bootstrap
from dispatchd.service.clock import SystemClock
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.store.database import Database
from dispatchd_bench.escalation import fired_steps, seed_offers

HOUR_S = 3_600
LADDER = Ladder(
    (
        EscalationStep(HOUR_S, StepAction.REMIND),
        EscalationStep(HOUR_S, StepAction.PENALIZE, 100),
        EscalationStep(HOUR_S, StepAction.REVOKE),
    )
)
OVERDUE = timedelta(minutes=1)


@dataclass(frozen=True)
class BacklogResult:
    """What one backlog run measured."""

    store: str
    pending: int
    fired: int
    duplicates: int
    batches: int
    wall_s: float
    cpu_s: float
    seeded_in_s: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "store": self.store,
            "pending": self.pending,
            "fired": self.fired,
            "duplicates": self.duplicates,
            "batches": self.batches,
            "steps_per_s": round(self.fired / max(self.wall_s, 1e-9), 1),
            "cpu_us_per_step": round(self.cpu_s / max(self.fired, 1) * 1e6, 1),
            "wall_s": round(self.wall_s, 2),
            "seeded_in_s": round(self.seeded_in_s, 2),
        }


def run_backlog(
    pending: int, database_url: str | None = None, data_dir: Path | None = None
) -> BacklogResult:
    """Seed ``pending`` overdue deadlines, then let the engine fire them all and time it."""
    directory = data_dir or Path(tempfile.mkdtemp(prefix="dispatchd-bench-backlog-"))
    settings = Settings(
        environment="test", data_dir=directory, database_url=database_url, admin_password="x" * 12
    )
    database = Database(settings.resolved_database_url())
    dispatcher = Dispatcher(database, SystemClock(), settings)
    try:
        bootstrap(dispatcher)
        began = time.perf_counter()
        due_at = datetime.now(UTC) - OVERDUE
        seed_offers(dispatcher, [(due_at, n % 3) for n in range(pending)], LADDER)
        seeded_in = time.perf_counter() - began
        engine = DeadlineEngine(dispatcher)
        batches = 0

        def count(_batch: object) -> None:
            nonlocal batches
            batches += 1

        engine.on_batch = count
        wall, cpu = time.perf_counter(), time.process_time()
        engine.run_due()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        fired, duplicates = fired_steps(dispatcher)
        return BacklogResult(
            store="postgresql" if database_url else "sqlite",
            pending=pending,
            fired=fired,
            duplicates=duplicates,
            batches=batches,
            wall_s=wall,
            cpu_s=cpu,
            seeded_in_s=seeded_in,
        )
    finally:
        dispatcher.close()
        database.dispose()
        if data_dir is None:
            shutil.rmtree(directory, ignore_errors=True)
