"""Several processes on one database: each behaves as if it were alone, and nothing doubles.

Each "process" here is its own Dispatcher with its own connection pool on the test's
database; on PostgreSQL they really run at once, on SQLite their writes take turns.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

import dispatchd.store.idempotency as idempotency_module
from dispatchd.config import Settings
from dispatchd.domain.escalation import EscalationStep, Ladder, Policy, StepAction
from dispatchd.domain.geo import Point
from dispatchd.domain.orders import Order
from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.actors import Actor, Role
from dispatchd.service.clock import FakeClock
from dispatchd.service.commands import AcceptOffer, CreateOrder, CreateZone, UpdateZone
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.outcome import IdempotencyRequest, Outcome
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store import tables as t
from dispatchd.store.database import Database
from tests.helpers import CENTRE, EAST
from tests.service_city import one_installer_city

PROCESSES = 3
CALLERS = 12
ORDERS = 150
SHOP = Actor("usr_shop", Role.ADMIN)
LADDER = Policy(
    Ladder(
        (
            EscalationStep(60, StepAction.REMIND),
            EscalationStep(60, StepAction.PENALIZE, 500),
            EscalationStep(60, StepAction.REVOKE),
        )
    ),
    max_auto_attempts=1,
)


@pytest.fixture
def processes(
    settings: Settings, clock: FakeClock, dispatcher: Dispatcher
) -> Iterator[list[Dispatcher]]:
    """Three dispatchers on the test's database, sharing the test's clock."""
    others = [
        Dispatcher(Database(settings.resolved_database_url()), clock, settings)
        for _ in range(PROCESSES - 1)
    ]
    yield [dispatcher, *others]
    for other in others:
        other.database.dispose()


def all_at_once(callers: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(n)`` on ``callers`` threads released together; results or raised errors."""
    start = threading.Barrier(callers)
    results: list[Any] = [None] * callers

    def run(number: int) -> None:
        start.wait()
        try:
            results[number] = work(number)
        except Exception as exc:
            results[number] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def render_order(_uow: UnitOfWork, order: Order) -> Outcome:
    return Outcome(201, {"id": order.id, "status": order.status.value})


def event_counts(dispatcher: Dispatcher, name: str) -> Counter[str]:
    with dispatcher.reading() as conn:
        rows = conn.execute(select(t.events.c.data).where(t.events.c.name == name))
        return Counter(str(data["offer_id"]) for (data,) in rows)


@pytest.mark.parametrize("key_lock", ["locked", "unlocked"])
def test_concurrent_duplicates_with_one_key_all_get_the_first_answer_and_one_order(
    processes: list[Dispatcher], key_lock: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if key_lock == "unlocked":
        monkeypatch.setattr(idempotency_module, "advisory_xact_lock", lambda *_args: None)
    processes[0].execute(CreateZone("Centre", CENTRE), SHOP)
    command = CreateOrder("Li Lei", "+8613912345678", "1 Nanjing Road", Point(31.23, 121.47), "AC")
    key = IdempotencyRequest("order-7", "same-body")

    answers = all_at_once(
        CALLERS,
        lambda n: processes[n % PROCESSES].execute_rendered(command, SHOP, render_order, key),
    )

    assert all(isinstance(answer, Outcome) for answer in answers), answers
    assert len({answer.body["id"] for answer in answers}) == 1
    with processes[0].reading() as conn:
        assert conn.execute(select(t.orders.c.id)).all() == [(answers[0].body["id"],)]


def test_concurrent_retries_of_one_accept_all_get_its_answer_not_a_conflict(
    processes: list[Dispatcher],
) -> None:
    city = one_installer_city(processes[0], LADDER)
    offer = city.order().current_offer
    assert offer is not None
    key = IdempotencyRequest("tap-1", "same-body")

    answers = all_at_once(
        CALLERS,
        lambda n: processes[n % PROCESSES].execute_rendered(
            AcceptOffer(offer.id), city.installer, render_order, key
        ),
    )

    assert [answer.body["status"] for answer in answers] == ["accepted"] * CALLERS
    assert event_counts(processes[0], "offer.accepted") == {offer.id: 1}


def test_orders_created_at_once_never_push_an_installer_past_capacity(
    processes: list[Dispatcher],
) -> None:
    city = one_installer_city(processes[0], LADDER, capacity=2)
    command = CreateOrder("Li Lei", "+8613912345678", "1 Nanjing Road", Point(31.23, 121.47), "AC")

    orders = all_at_once(CALLERS, lambda n: processes[n % PROCESSES].execute(command, SHOP))

    assert sorted(order.status.value for order in orders) == ["offered"] * 2 + ["pending"] * (
        CALLERS - 2
    )
    with processes[0].reading() as conn:
        assert UnitOfWork(conn).installers.active_jobs([city.installer_id]) == {
            city.installer_id: 2
        }


def test_engines_of_several_processes_run_every_step_exactly_once(
    processes: list[Dispatcher], clock: FakeClock
) -> None:
    city = one_installer_city(processes[0], LADDER)
    offers = {
        order.current_offer.id
        for order in (city.order() for _ in range(ORDERS))
        if order.current_offer
    }
    engines = [DeadlineEngine(process, batch_size=20) for process in processes]

    for _rung in ("remind", "penalize", "revoke"):
        clock.advance(60)
        ran = all_at_once(PROCESSES, lambda n: engines[n].run_due())
        assert sum(ran) == ORDERS

    for name in ("offer.reminded", "offer.penalized", "offer.revoked"):
        assert event_counts(processes[0], name) == dict.fromkeys(offers, 1)
    with processes[0].reading() as conn:
        penalties = conn.execute(select(t.ledger_entries.c.offer_id)).scalars().all()
        assert Counter(penalties) == dict.fromkeys(offers, 1)
        assert conn.execute(select(t.deadlines)).all() == []


def test_a_zone_redrawn_in_another_process_is_used_here_at_once(
    processes: list[Dispatcher],
) -> None:
    here, there = processes[0], processes[1]
    zone = there.execute(CreateZone("Roaming", CENTRE), SHOP)
    assert (
        here.execute(
            CreateOrder("Li", "+8613912345678", "x", Point(31.23, 121.47), "AC"), SHOP
        ).zone_id
        == zone.id
    )

    there.execute(UpdateZone(zone.id, boundary=EAST), SHOP)

    moved = here.execute(CreateOrder("Li", "+8613912345678", "x", Point(31.23, 121.62), "AC"), SHOP)
    assert moved.zone_id == zone.id


def test_two_zones_changed_to_the_same_revision_still_change_the_fingerprint(
    processes: list[Dispatcher],
) -> None:
    first = processes[0].execute(CreateZone("North", CENTRE), SHOP)
    second = processes[0].execute(CreateZone("South", EAST), SHOP)
    seen = []
    for zone_id in (first.id, second.id):
        with processes[0].database.write() as conn:
            conn.execute(update(t.zones).where(t.zones.c.id == zone_id).values(revision=9))
        with processes[1].reading() as conn:
            seen.append(UnitOfWork(conn).zones.fingerprint())
    assert seen[0] != seen[1]
