"""The engine's batches: a poisoned step is isolated, and a batch is the same as one by one."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from dispatchd.config import Settings
from dispatchd.domain.escalation import EscalationStep, Ladder, Policy, StepAction
from dispatchd.domain.geo import Point
from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.actors import SYSTEM, Actor, Role
from dispatchd.service.bootstrap import bootstrap
from dispatchd.service.clock import FakeClock
from dispatchd.service.commands import (
    AcceptOffer,
    CreateInstaller,
    CreateOrder,
    CreateZone,
    ReportLocation,
    SetDuty,
    SetPolicy,
)
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.store import tables as t
from dispatchd.store.database import Database, sqlite_url
from tests.helpers import CENTRE

LADDER = Ladder(
    (
        EscalationStep(60, StepAction.REMIND),
        EscalationStep(60, StepAction.PENALIZE, 500),
        EscalationStep(60, StepAction.REVOKE),
    )
)


def _installer(dispatcher: Dispatcher, zone_id: str, n: int, where: Point, capacity: int) -> str:
    record = dispatcher.execute(
        CreateInstaller(
            f"Installer {n}", f"+861380013{n:04d}", (zone_id,), capacity, (), f"ins{n}", "pw" * 5
        ),
        SYSTEM,
    )
    actor = Actor(f"usr_{record.id}", Role.INSTALLER, installer_id=record.id)
    dispatcher.execute(ReportLocation(record.id, where), actor)
    dispatcher.execute(SetDuty(record.id, True), actor)
    return str(record.id)


def _order(dispatcher: Dispatcher, where: Point) -> str:
    order = dispatcher.execute(
        CreateOrder("Li Lei", "+8613912345678", "1 Nanjing Road", where, "AC"), SYSTEM
    )
    return str(order.id)


def test_a_poisoned_step_is_pushed_back_alone_while_the_rest_of_its_batch_commits(
    dispatcher: Dispatcher, clock: FakeClock
) -> None:
    dispatcher.execute(SetPolicy(Policy(LADDER)), SYSTEM)
    zone = dispatcher.execute(CreateZone("Centre", CENTRE), SYSTEM)
    for n in range(3):
        _installer(dispatcher, zone.id, n, Point(31.23 + n / 100, 121.47), capacity=5)
    orders = [_order(dispatcher, Point(31.23, 121.47)) for _ in range(3)]
    with dispatcher.database.write() as conn:
        poisoned = conn.execute(
            select(t.offers.c.id).where(t.offers.c.order_id == orders[1])
        ).scalar_one()
        conn.execute(
            update(t.offers)
            .where(t.offers.c.id == poisoned)
            .values(ladder=[{"after_s": 60, "action": "explode"}])
        )
    engine = DeadlineEngine(dispatcher)

    clock.advance(60)
    assert engine.run_due() == 2
    assert engine.failed == 1
    with dispatcher.database.read() as conn:
        statuses = dict(conn.execute(select(t.offers.c.order_id, t.offers.c.status)).all())
        failing = conn.execute(
            select(t.deadlines.c.failures, t.deadlines.c.due_at).where(
                t.deadlines.c.subject_id == poisoned
            )
        ).one()
    assert [statuses[order] for order in orders] == ["reminded", "sent", "reminded"]
    assert failing.failures == 1
    assert failing.due_at == clock.now() + timedelta(seconds=5)

    clock.advance(5)
    assert engine.run_due() == 0
    assert engine.failed == 2
    with dispatcher.database.read() as conn:
        failures = conn.execute(
            select(t.deadlines.c.failures).where(t.deadlines.c.subject_id == poisoned)
        ).scalar_one()
    assert failures == 2


@dataclass(frozen=True)
class Plan:
    """A city drawn by Hypothesis: installers, orders arriving over time, some accepted."""

    installers: list[tuple[float, int]]
    arrivals: list[int]
    accepted: list[bool]
    rounds: list[int]


PLANS = st.builds(
    Plan,
    installers=st.lists(st.tuples(st.floats(0, 0.05), st.integers(1, 3)), min_size=1, max_size=5),
    arrivals=st.lists(st.integers(0, 150), min_size=1, max_size=12),
    accepted=st.lists(st.booleans(), min_size=12, max_size=12),
    rounds=st.lists(st.integers(30, 200), min_size=1, max_size=4),
)


@contextmanager
def _city_on_disk(directory: Path, clock: FakeClock) -> Iterator[Dispatcher]:
    config = Settings(
        environment="test", data_dir=directory, admin_password="x" * 12, run_engine=False
    )
    database = Database(sqlite_url(directory))
    dispatcher = Dispatcher(database, clock, config)
    try:
        yield dispatcher
    finally:
        dispatcher.close()
        database.dispose()


def _seed(dispatcher: Dispatcher, clock: FakeClock, plan: Plan) -> None:
    bootstrap(dispatcher)
    dispatcher.execute(SetPolicy(Policy(LADDER, max_auto_attempts=3)), SYSTEM)
    zone = dispatcher.execute(CreateZone("Centre", CENTRE), SYSTEM)
    installers = {}
    for n, (north, capacity) in enumerate(plan.installers):
        installer = _installer(dispatcher, zone.id, n, Point(31.23 + north, 121.47), capacity)
        installers[installer] = Actor(f"usr_{installer}", Role.INSTALLER, installer_id=installer)
    start = clock.now()
    for n, offset in enumerate(sorted(plan.arrivals)):
        clock.set(start + timedelta(seconds=offset))
        order = dispatcher.execute(
            CreateOrder("Li Lei", "+8613912345678", "x", Point(31.23, 121.47), "AC"), SYSTEM
        )
        offer = order.current_offer
        if offer is not None and plan.accepted[n]:
            dispatcher.execute(AcceptOffer(offer.id), installers[offer.installer_id])


def _state(dispatcher: Dispatcher) -> dict[str, Any]:
    """Everything the steps decide, without the ids the run itself draws."""
    with dispatcher.database.read() as conn:
        offers = conn.execute(
            select(
                t.offers.c.order_id,
                t.offers.c.installer_id,
                t.offers.c.status,
                t.offers.c.next_step,
            ).order_by(t.offers.c.order_id, t.offers.c.attempt)
        ).all()
        orders = conn.execute(
            select(t.orders.c.id, t.orders.c.status, t.orders.c.awaiting_dispatcher)
        ).all()
        ledger = conn.execute(
            select(t.ledger_entries.c.installer_id, t.ledger_entries.c.amount)
        ).all()
        alerts = conn.execute(
            select(t.alerts.c.order_id, t.alerts.c.type, t.alerts.c.acknowledged_at)
        ).all()
        events = conn.execute(
            select(t.events.c.order_id, t.events.c.name).order_by(t.events.c.id)
        ).all()
        deadlines = conn.execute(
            select(t.deadlines.c.kind, t.deadlines.c.step, t.deadlines.c.due_at)
        ).all()
    per_order: dict[str, list[str]] = {}
    for order_id, name in events:
        per_order.setdefault(order_id, []).append(name)
    return {
        "offers": [tuple(row) for row in offers],
        "orders": sorted(tuple(row) for row in orders),
        "ledger": Counter(tuple(row) for row in ledger),
        "alerts": Counter(tuple(row) for row in alerts),
        "events": per_order,
        "deadlines": Counter(tuple(row) for row in deadlines),
    }


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=PLANS)
def test_a_batch_of_due_steps_leaves_the_same_state_as_the_same_steps_one_by_one(
    tmp_path_factory: Any, plan: Plan
) -> None:
    root = tmp_path_factory.mktemp("batches")
    seeded, one_by_one = root / "batch", root / "single"
    seeded.mkdir()
    clock = FakeClock()
    with _city_on_disk(seeded, clock) as dispatcher:
        _seed(dispatcher, clock, plan)
    shutil.copytree(seeded, one_by_one, dirs_exist_ok=True)
    states = []
    for directory, batch_size in ((seeded, 500), (one_by_one, 1)):
        run_clock = FakeClock(clock.now())
        with _city_on_disk(directory, run_clock) as dispatcher:
            engine = DeadlineEngine(dispatcher, batch_size=batch_size)
            for pause in plan.rounds:
                run_clock.advance(pause)
                engine.run_due()
            states.append(_state(dispatcher))
    batched, single = states
    assert batched == single
