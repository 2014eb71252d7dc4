"""Rows read straight from the driver are the rows SQLAlchemy's column types would return.

The order aggregate is loaded that way on every command; a value that came back as the
driver's raw integer or JSON text instead would turn into a wrong order, or into a change
the repository would write back for nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Table, select

from dispatchd.domain.escalation import DEFAULT_POLICY
from dispatchd.domain.holds import SuspendReason
from dispatchd.service.actors import SYSTEM
from dispatchd.service.commands import AcceptOffer, SetAppointment, SuspendOrder
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.store import tables as t
from dispatchd.store.raw_rows import RowsByKey
from tests.service_city import one_installer_city


def _through_core(
    dispatcher: Dispatcher, table: Table, key: str, value: str
) -> list[dict[str, Any]]:
    with dispatcher.database.read() as conn:
        rows = conn.execute(select(table).where(table.c[key] == value)).mappings()
        return [dict(row) for row in rows]


def _from_the_driver(dispatcher: Dispatcher, reader: RowsByKey, value: str) -> list[dict[str, Any]]:
    with dispatcher.database.read() as conn:
        return reader.read(conn, [value])


def test_an_order_with_its_offer_and_promises_reads_the_same_both_ways(
    dispatcher: Dispatcher,
) -> None:
    city = one_installer_city(dispatcher, DEFAULT_POLICY)
    order = city.order()
    dispatcher.execute(AcceptOffer(order.offers[0].id), city.installer)
    now = dispatcher.clock.now()
    dispatcher.execute(
        SetAppointment(order.id, now + timedelta(hours=2), now + timedelta(hours=4)),
        city.installer,
    )
    dispatcher.execute(
        SuspendOrder(order.id, SuspendReason.CUSTOMER_ABSENT, "away", now + timedelta(days=1)),
        SYSTEM,
    )
    for table, key, reader in (
        (t.orders, "id", RowsByKey(t.orders, "id")),
        (t.offers, "order_id", RowsByKey(t.offers, "order_id", order_by=("attempt",))),
        (t.promises, "order_id", RowsByKey(t.promises, "order_id", order_by=("kind",))),
    ):
        expected = sorted(_through_core(dispatcher, table, key, order.id), key=repr)
        assert expected, f"the scenario left no {table.name} row to compare"
        found = sorted(_from_the_driver(dispatcher, reader, order.id), key=repr)
        assert found == expected
        for row_read, row_expected in zip(found, expected, strict=True):
            for name, value in row_expected.items():
                assert type(row_read[name]) is type(value), (table.name, name)


def test_no_keys_read_nothing_and_unknown_keys_are_left_out(dispatcher: Dispatcher) -> None:
    city = one_installer_city(dispatcher, DEFAULT_POLICY)
    order = city.order()
    reader = RowsByKey(t.orders, "id", lock=True)
    with dispatcher.database.write() as conn:
        assert reader.read(conn, []) == []
        found = reader.read(conn, [order.id, "ord_unknown"])
    assert [row["id"] for row in found] == [order.id]
