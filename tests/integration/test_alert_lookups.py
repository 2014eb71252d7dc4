"""Whether an order already has an alert open is answered from that order's own rows.

Raising an alert first asks that question, and a dispatch that finds nobody asks it for
every order it gives up on. It must not read every alert left open across the deployment.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection

from dispatchd.domain.alerts import AlertType
from dispatchd.store import tables as t
from dispatchd.store.alerts import AlertRepository
from dispatchd.store.database import Database
from dispatchd.store.migrate import upgrade

AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def migrated(tmp_path: Path) -> Iterator[Database]:
    """An SQLite database built by the migrations, as a deployment has it."""
    database = Database(f"sqlite:///{tmp_path / 'alerts.db'}")
    upgrade(database)
    yield database
    database.dispose()


def _open_alerts(conn: Connection, orders: range) -> None:
    conn.execute(
        t.orders.insert(),
        [_order(f"ord_{n}") for n in orders],
    )
    conn.execute(
        t.alerts.insert(),
        [
            {
                "id": f"alr_{n}",
                "type": AlertType.NO_ELIGIBLE_INSTALLER.value,
                "order_id": f"ord_{n}",
                "at": AT,
            }
            for n in orders
        ],
    )


def _order(order_id: str) -> dict[str, object]:
    return {
        "id": order_id,
        "status": "pending",
        "customer_name": "Li Lei",
        "customer_phone": "+8613912345678",
        "address": "1 Road",
        "lat": 31.2,
        "lon": 121.5,
        "product": "AC",
        "skills": [],
        "flags": [],
        "tracking_token": order_id,
        "created_at": AT,
    }


def _steps_to_ask(conn: Connection, ask: object) -> int:
    """SQLite virtual-machine steps spent answering ``ask()`` — rows read, not time."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    raw = conn.connection.driver_connection
    assert raw is not None
    raw.set_progress_handler(count, 1)
    try:
        ask()  # type: ignore[operator]
    finally:
        raw.set_progress_handler(None, 1)
    return steps


def _cost_with_open_elsewhere(database: Database, elsewhere: int) -> tuple[int, int]:
    with database.write() as conn:
        _open_alerts(conn, range(elsewhere + 1))
        one = AlertRepository(conn)
        single = _steps_to_ask(
            conn, lambda: one.open_for_order("ord_0", AlertType.NO_ELIGIBLE_INSTALLER)
        )
        many = AlertRepository(conn)
        batch = _steps_to_ask(
            conn,
            lambda: many.learn_open(["ord_0", "ord_1"], AlertType.NO_ELIGIBLE_INSTALLER),
        )
        assert one.open_for_order("ord_0", AlertType.NO_ELIGIBLE_INSTALLER) is not None
        assert many.open_for_order("ord_1", AlertType.NO_ELIGIBLE_INSTALLER) is not None
        conn.rollback()
    return single, batch


def test_asking_about_one_order_reads_as_much_with_two_thousand_alerts_open_as_with_ten(
    migrated: Database,
) -> None:
    few = _cost_with_open_elsewhere(migrated, 10)
    many = _cost_with_open_elsewhere(migrated, 2_000)
    assert many[0] <= few[0] * 1.1 + 20
    assert many[1] <= few[1] * 1.1 + 20


def test_an_acknowledged_alert_is_not_the_open_one_and_another_type_is_not_this_one(
    migrated: Database,
) -> None:
    with migrated.write() as conn:
        _open_alerts(conn, range(3))
        conn.execute(
            t.alerts.update()
            .where(t.alerts.c.id == "alr_1")
            .values(acknowledged_at=AT, acknowledged_by="usr_x")
        )
        alerts = AlertRepository(conn)
        alerts.learn_open(["ord_0", "ord_1", "ord_2"], AlertType.NO_ELIGIBLE_INSTALLER)
        found = alerts.open_for_order("ord_0", AlertType.NO_ELIGIBLE_INSTALLER)
        assert found is not None
        assert found.id == "alr_0"
        assert alerts.open_for_order("ord_1", AlertType.NO_ELIGIBLE_INSTALLER) is None
        assert AlertRepository(conn).open_for_order("ord_2", AlertType.NEEDS_DISPATCHER) is None
