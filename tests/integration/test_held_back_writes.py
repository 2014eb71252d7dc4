"""Order rows held back until the unit of work flushes them: never read stale, never lost.

A saved order's rows are written together at the end (one statement per shape of change), so
these tests check the three ways that could go wrong: a query of the same transaction that
does not see the change, a savepoint that rolls back but still writes, and a second save of
the same order that is written as two statements.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, select

from dispatchd.domain.escalation import DEFAULT_POLICY
from dispatchd.domain.offers import OfferStatus
from dispatchd.domain.orders import Order, OrderStatus
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store import tables as t
from dispatchd.store.bulk import BulkUpdate
from tests.service_city import one_installer_city


@contextmanager
def writing(dispatcher: Dispatcher) -> Iterator[UnitOfWork]:
    """One write transaction with a unit of work, committed as the service layer would."""
    with dispatcher.database.write() as conn:
        uow = UnitOfWork(conn)
        yield uow
        uow.check_all_saved()
        uow.before_commit()


def _status(dispatcher: Dispatcher, order_id: str) -> str:
    query = select(t.orders.c.status).where(t.orders.c.id == order_id)
    with dispatcher.reading() as conn:
        return str(conn.execute(query).scalar())


def _decline_the_offer(uow: UnitOfWork, order_id: str, dispatcher: Dispatcher) -> Order:
    """The installer says no: the order is pending again, saved (held back) in ``uow``."""
    order = uow.orders.get(order_id)
    assert order is not None
    offer = order.current_offer
    assert offer is not None
    order.decline_offer(offer.id, dispatcher.clock.now(), "too far")
    uow.orders.save(order)
    return order


def _decline_in_a_failing_savepoint(uow: UnitOfWork, order_id: str, dispatcher: Dispatcher) -> None:
    with uow.savepoint() as unit:
        _decline_the_offer(unit, order_id, dispatcher)
        raise RuntimeError("the step failed")


def test_a_declined_offer_held_back_is_seen_by_the_same_transactions_queries(
    dispatcher: Dispatcher,
) -> None:
    city = one_installer_city(dispatcher, DEFAULT_POLICY)
    placed = city.order()
    with writing(dispatcher) as uow:
        order = _decline_the_offer(uow, placed.id, dispatcher)
        waiting = uow.orders.waiting_for_dispatch([str(order.zone_id)], 10)
        assert [o.id for o in waiting] == [placed.id]
        assert uow.installers.active_jobs([city.installer_id]) == {city.installer_id: 0}
    assert _status(dispatcher, placed.id) == OrderStatus.PENDING.value


def test_a_savepoint_that_rolls_back_writes_none_of_its_held_rows(dispatcher: Dispatcher) -> None:
    city = one_installer_city(dispatcher, DEFAULT_POLICY)
    placed = city.order()
    with writing(dispatcher) as uow, pytest.raises(RuntimeError, match="step failed"):
        _decline_in_a_failing_savepoint(uow, placed.id, dispatcher)
    assert _status(dispatcher, placed.id) == OrderStatus.OFFERED.value
    with dispatcher.reading() as conn:
        offer_status = conn.execute(
            select(t.offers.c.status).where(t.offers.c.order_id == placed.id)
        ).scalar()
    assert offer_status == OfferStatus.SENT.value


def test_an_order_saved_twice_in_a_transaction_is_written_once_with_its_final_state(
    dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    city = one_installer_city(dispatcher, DEFAULT_POLICY)
    placed = city.order()
    updates = _count_updates_of("orders", monkeypatch)
    with writing(dispatcher) as uow:
        order = _decline_the_offer(uow, placed.id, dispatcher)
        order.wait_for_dispatcher()
        uow.orders.save(order)
        assert updates == []
    assert updates == [1]
    with dispatcher.reading() as conn:
        row = conn.execute(select(t.orders).where(t.orders.c.id == placed.id)).mappings().one()
    assert row["status"] == OrderStatus.PENDING.value
    assert row["awaiting_dispatcher"] is True


def _count_updates_of(table: str, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Bulk statements (with their number of rows) that update ``table``, as they run."""
    seen: list[int] = []
    run = BulkUpdate.run

    def counted(self: BulkUpdate, conn: Connection, rows: Sequence[Any]) -> None:
        if self.shape.table == table:
            seen.append(len(rows))
        run(self, conn, rows)

    monkeypatch.setattr(BulkUpdate, "run", counted)
    return seen
