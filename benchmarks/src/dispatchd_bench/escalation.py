"""The escalation-deadline workload, run by dispatchd's own engine.

N offers, each with a 3-step ladder (remind, penalize, revoke, one second apart), sent so
that their steps come due evenly at ``rate`` steps per second over ``duration`` seconds. The
offers are seeded in bulk (as the peers' tasks are enqueued before their window), then the
real engine fires every step through the service layer — state, event, ledger entry, alert,
next deadline — and each step's lateness is measured from its due time to the commit that
carried it out.

Steps come due at the full rate only once the first offers reach their last step: the first
``(STEPS_PER_OFFER - 1) * PERIOD_S`` seconds (and as many after the window) ramp up (down).
``fired_per_s`` therefore counts the commits made while steps came due at the full rate —
the rate due when the engine keeps up, its capacity when it falls behind — which is what the
peers' single-step tasks measure over their whole window.
"""

from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from dispatchd.config import Settings
from dispatchd.domain.deadlines import Deadline
from dispatchd.domain.escalation import EscalationStep, Ladder, StepAction
from dispatchd.domain.ids import new_id, new_secret_token
from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.bootstrap import bootstrap
from dispatchd.service.clock import SystemClock
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.store import tables as t
from dispatchd.store.database import Database
from dispatchd.wire.policy import ladder_json
from dispatchd_bench.city import bench_writes, insert_city_zone
from dispatchd_bench.stats import summary

STEPS_PER_OFFER = 3
PERIOD_S = 1
LEAD_S = 2.0
#: Offers seeded per second, as planned for when placing the first due time (a slow
#: PostgreSQL seeds a few thousand a second; a seed that overruns shows as negative slack).
SEED_RATE_PLANNED = 2_500
INSTALLERS = 200
SEED_CHUNK = 5_000
LADDER = Ladder(
    (
        EscalationStep(PERIOD_S, StepAction.REMIND),
        EscalationStep(PERIOD_S, StepAction.PENALIZE, 100),
        EscalationStep(PERIOD_S, StepAction.REVOKE),
    )
)


@dataclass(frozen=True)
class EscalationResult:
    """What one run measured."""

    store: str
    rate: float
    duration: float
    scheduled: int
    fired: int
    duplicates: int
    fired_per_s: float
    fired_per_s_whole_run: float
    lateness: dict[str, float]
    lateness_lower_bound: bool
    wall_s: float
    seeded_in_s: float
    slack_before_first_due_s: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "store": self.store,
            "rate": self.rate,
            "duration": self.duration,
            "scheduled": self.scheduled,
            "fired": self.fired,
            "duplicates": self.duplicates,
            "fired_per_s": round(self.fired_per_s, 1),
            "fired_per_s_whole_run": round(self.fired_per_s_whole_run, 1),
            **self.lateness,
            "lateness_lower_bound": self.lateness_lower_bound,
            "kept_up": self.lateness["lateness_p99_s"] < 1.0 and self.fired == self.scheduled,
            "wall_s": round(self.wall_s, 2),
            "seeded_in_s": round(self.seeded_in_s, 2),
            "slack_before_first_due_s": round(self.slack_before_first_due_s, 2),
        }


def run_escalation(
    rate: float,
    duration: float,
    database_url: str | None = None,
    batch_size: int = 500,
    data_dir: Path | None = None,
) -> EscalationResult:
    """Seed the offers, run the engine in real time until every step fired, and measure."""
    directory = data_dir or Path(tempfile.mkdtemp(prefix="dispatchd-bench-"))
    settings = Settings(
        environment="test", data_dir=directory, database_url=database_url, admin_password="x" * 12
    )
    database = Database(settings.resolved_database_url())
    dispatcher = Dispatcher(database, SystemClock(), settings)
    bootstrap(dispatcher)
    offers = max(1, round(rate * duration / STEPS_PER_OFFER))
    started = time.perf_counter()
    first_due = datetime.now(UTC) + timedelta(seconds=LEAD_S + offers / SEED_RATE_PLANNED)
    seed_due_evenly(dispatcher, offers, rate, first_due)
    seeded_in = time.perf_counter() - started
    slack = (first_due - datetime.now(UTC)).total_seconds()

    lateness: list[float] = []
    commits: list[tuple[datetime, int]] = []
    engine = DeadlineEngine(dispatcher, batch_size=batch_size, poll_s=0.2)

    def observe(batch: list[Deadline]) -> None:
        committed = datetime.now(UTC)
        lateness.extend((committed - d.due_at).total_seconds() for d in batch)
        commits.append((committed, len(batch)))

    engine.on_batch = observe
    stop = threading.Event()
    worker = threading.Thread(target=engine.run_forever, args=(stop,), daemon=True)
    wall = time.perf_counter()
    worker.start()
    total = offers * STEPS_PER_OFFER
    deadline = time.monotonic() + duration + LEAD_S + 120
    last_commit = datetime.now(UTC)
    while time.monotonic() < deadline and engine.fired < total:
        time.sleep(0.05)
        last_commit = datetime.now(UTC)
    stop.set()
    engine.wake()
    worker.join(30)
    fired, duplicates = fired_steps(dispatcher)
    span = max(1e-6, (last_commit - first_due).total_seconds())
    missing = _missing_lateness(offers, rate, first_due, total - len(lateness), last_commit)
    database.dispose()
    return EscalationResult(
        store="postgresql" if database_url else "sqlite",
        rate=rate,
        duration=duration,
        scheduled=total,
        fired=fired,
        duplicates=duplicates,
        fired_per_s=_full_rate_throughput(
            commits, first_due, duration, fired / span, first_due - timedelta(seconds=slack)
        ),
        fired_per_s_whole_run=fired / span,
        lateness=summary(lateness + missing),
        lateness_lower_bound=bool(missing),
        wall_s=time.perf_counter() - wall,
        seeded_in_s=seeded_in,
        slack_before_first_due_s=slack,
    )


def _missing_lateness(
    offers: int, rate: float, first_due: datetime, missing: int, observed_until: datetime
) -> list[float]:
    """Steps that never fired count as late until the end of the observation.

    The engine fires in due order, so the missing steps are the last ones planned; counting
    them makes the percentiles lower bounds instead of figures flattered by leaving out the
    latest steps (the peers' harness does the same).
    """
    if missing <= 0:
        return []
    spacing = STEPS_PER_OFFER / rate
    planned = sorted(
        n * spacing + step * PERIOD_S for n in range(offers) for step in range(STEPS_PER_OFFER)
    )
    end = (observed_until - first_due).total_seconds()
    return [end - due for due in planned[-missing:]]


def _full_rate_throughput(
    commits: list[tuple[datetime, int]],
    first_due: datetime,
    duration: float,
    fallback: float,
    engine_started: datetime | None = None,
) -> float:
    """Steps committed per second while steps came due at the full rate and the engine ran.

    A seed that overran its lead starts the engine late: the part of the full-rate window
    before it started is left out, since no commit could fall in it. Without such a window
    (a run shorter than the ramp, or an engine that started after the window), the whole
    run's rate stands in.
    """
    start = first_due + timedelta(seconds=(STEPS_PER_OFFER - 1) * PERIOD_S)
    if engine_started is not None:
        start = max(start, engine_started)
    end = first_due + timedelta(seconds=duration)
    window = (end - start).total_seconds()
    if window <= 0:
        return fallback
    return sum(n for at, n in commits if start <= at < end) / window


def seed_due_evenly(dispatcher: Dispatcher, offers: int, rate: float, first_due: datetime) -> None:
    """Offers whose first steps come due evenly at ``rate`` from ``first_due`` on."""
    spacing = timedelta(seconds=STEPS_PER_OFFER / rate)
    seed_offers(dispatcher, [(first_due + spacing * n, 0) for n in range(offers)], LADDER)


#: What an offer looks like just before rung 0, 1 or 2 of a remind-penalize-revoke ladder.
_STATUS_BEFORE_STEP = ("sent", "reminded", "penalized")


def seed_offers(dispatcher: Dispatcher, due: list[tuple[datetime, int]], ladder: Ladder) -> None:
    """Bulk-insert a zone, off-duty installers, and one offered order per (due time, rung).

    Each offer stands just before its rung, with that rung's deadline at its due time, as if
    the earlier rungs had fired; nothing else is pending.
    """
    now = datetime.now(UTC)
    stored_ladder = ladder_json(ladder)
    with bench_writes(dispatcher) as uow:
        zone_id = insert_city_zone(uow, now)
        installers = [new_id("ins") for _ in range(INSTALLERS)]
        uow.conn.execute(
            t.installers.insert(),
            [
                {
                    "id": i,
                    "name": i,
                    "phone": "+8613800138000",
                    "capacity": 1_000_000,
                    "skills": [],
                    "on_duty": False,
                    "created_at": now,
                    "changed_at": now,
                }
                for i in installers
            ],
        )
        uow.conn.execute(
            t.installer_zones.insert(),
            [{"installer_id": i, "zone_id": zone_id} for i in installers],
        )
    for start in range(0, len(due), SEED_CHUNK):
        orders, offer_rows, deadlines = [], [], []
        for n in range(start, min(len(due), start + SEED_CHUNK)):
            due_at, rung = due[n]
            previous = due_at - timedelta(seconds=ladder.step(rung).after_s)
            sent = previous - timedelta(seconds=sum(s.after_s for s in ladder.steps[:rung]))
            order_id, offer_id = new_id("ord"), new_id("ofr")
            orders.append(_order_row(order_id, zone_id, sent))
            offer_rows.append(
                {
                    "id": offer_id,
                    "order_id": order_id,
                    "installer_id": installers[n % INSTALLERS],
                    "status": _STATUS_BEFORE_STEP[rung],
                    "attempt": 1,
                    "ladder": stored_ladder,
                    "policy_version": 1,
                    "next_step": rung,
                    "next_step_at": due_at,
                    "sent_at": sent,
                    "last_step_at": previous if rung else None,
                }
            )
            deadlines.append(
                {
                    "kind": "offer_step",
                    "subject_id": offer_id,
                    "step": rung,
                    "due_at": due_at,
                    "failures": 0,
                }
            )
        with bench_writes(dispatcher) as uow:
            uow.conn.execute(t.orders.insert(), orders)
            uow.conn.execute(t.offers.insert(), offer_rows)
            uow.conn.execute(t.deadlines.insert(), deadlines)


def _order_row(order_id: str, zone_id: str, created: datetime) -> dict[str, Any]:
    return {
        "id": order_id,
        "status": "offered",
        "zone_id": zone_id,
        "customer_name": "Bench",
        "customer_phone": "+8613912345678",
        "address": "1 Bench Road",
        "lat": 31.5,
        "lon": 121.5,
        "product": "Air conditioner",
        "skills": [],
        "awaiting_dispatcher": False,
        "flags": [],
        "needs_follow_up": False,
        "tracking_token": new_secret_token(),
        "created_at": created,
        "service_code_failures": 0,
    }


def fired_steps(dispatcher: Dispatcher) -> tuple[int, int]:
    """Step events written, and how many of them repeat a step of the same order."""
    names = ("offer.reminded", "offer.penalized", "offer.revoked")
    steps = t.events.c.name.in_(names)
    distinct = select(t.events.c.order_id, t.events.c.name).where(steps).distinct().subquery()
    with dispatcher.reading() as conn:
        total = conn.execute(select(func.count()).select_from(t.events).where(steps)).scalar_one()
        unique = conn.execute(select(func.count()).select_from(distinct)).scalar_one()
    return int(total), int(total) - int(unique)
