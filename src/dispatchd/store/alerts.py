"""Alerts: the management client's inbox of things a person must look at."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from dispatchd.domain.alerts import Alert, AlertType
from dispatchd.store import tables as t
from dispatchd.store.bulk import BulkInsert, Shape
from dispatchd.store.types import to_micros

_INSERT_ALERTS = BulkInsert(
    Shape(
        "alerts",
        (
            ("id", "text"),
            ("type", "text"),
            ("order_id", "text"),
            ("offer_id", "text"),
            ("installer_id", "text"),
            ("zone_id", "text"),
            ("detail", "text"),
            ("at", "bigint"),
            ("acknowledged_at", "bigint"),
            ("acknowledged_by", "text"),
        ),
    )
)
_OPEN_FOR_ORDER = select(t.alerts).where(
    t.alerts.c.order_id == bindparam("order_id"),
    t.alerts.c.type == bindparam("type"),
    t.alerts.c.acknowledged_at.is_(None),
)
_OPEN_FOR_ORDERS = select(t.alerts).where(
    t.alerts.c.order_id.in_(bindparam("order_ids", expanding=True)),
    t.alerts.c.type == bindparam("type"),
    t.alerts.c.acknowledged_at.is_(None),
)


class AlertRepository:
    """Raises, lists and acknowledges alerts.

    New alerts are written together (one statement) when the unit of work checks that all
    is saved, or before anything reads alerts back; until then they are answered from memory.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._unwritten: list[Alert] = []
        self._open_known: dict[tuple[str, AlertType], Alert | None] = {}
        self._none_stored: set[str] = set()

    def add(self, alert: Alert) -> None:
        """Store a new alert."""
        self._unwritten.append(alert)
        self._open_known[(alert.order_id, alert.type)] = alert

    def flush(self) -> None:
        """Write the alerts added so far."""
        if self._unwritten:
            _INSERT_ALERTS.run(self._conn, [_alert_row(alert) for alert in self._unwritten])
            self._unwritten.clear()

    def discard(self) -> None:
        """Forget unwritten alerts (their command was rolled back)."""
        self._unwritten.clear()
        self._open_known.clear()
        self._none_stored.clear()

    def new_order(self, order_id: str) -> None:
        """The order was created in this transaction: no stored alert can be about it yet."""
        self._none_stored.add(order_id)
        for alert_type in AlertType:
            self._open_known.setdefault((order_id, alert_type), None)

    def settle(
        self,
        order_id: str,
        alert_types: Iterable[AlertType],
        by: str,
        now: datetime,
        detail: str | None = None,
    ) -> list[Alert]:
        """Close the order's open alerts of these types: what they asked for has happened.

        With ``detail``, only the alerts saying that (say, which promise was breached).
        Alerts raised earlier in this transaction are closed before they are written; stored
        ones with one statement, skipped for an order known to have none. Returns the alerts
        closed, so that their closing can be announced.
        """
        types = frozenset(alert_types)
        closed: list[Alert] = []
        for index, alert in enumerate(self._unwritten):
            if (
                alert.order_id == order_id
                and alert.type in types
                and alert.acknowledged_at is None
                and (detail is None or alert.detail == detail)
            ):
                self._unwritten[index] = replace(alert, acknowledged_at=now, acknowledged_by=by)
                closed.append(self._unwritten[index])
        if detail is None:
            for alert_type in types:
                self._open_known[(order_id, alert_type)] = None
        else:
            for alert_type in types:
                self._open_known.pop((order_id, alert_type), None)
        if order_id in self._none_stored:
            return closed
        query = update(t.alerts).where(
            t.alerts.c.order_id == order_id,
            t.alerts.c.type.in_(sorted(alert_type.value for alert_type in types)),
            t.alerts.c.acknowledged_at.is_(None),
        )
        if detail is not None:
            query = query.where(t.alerts.c.detail == detail)
        rows = self._conn.execute(
            query.values(acknowledged_at=now, acknowledged_by=by).returning(*t.alerts.c)
        ).mappings()
        closed.extend(sorted((_alert(row) for row in rows), key=_oldest_first))
        return closed

    def learn_open(self, order_ids: list[str], alert_type: AlertType) -> None:
        """Read once which of these orders have an open alert of this type (for a batch)."""
        order_ids = [o for o in order_ids if (o, alert_type) not in self._open_known]
        if not order_ids:
            return
        found = {
            row["order_id"]: _alert(row)
            for row in self._conn.execute(
                _OPEN_FOR_ORDERS, {"order_ids": order_ids, "type": alert_type.value}
            ).mappings()
        }
        for order_id in order_ids:
            self._open_known.setdefault((order_id, alert_type), found.get(order_id))

    def get(self, alert_id: str) -> Alert | None:
        """One alert, or None."""
        self.flush()
        row = self._conn.execute(select(t.alerts).where(t.alerts.c.id == alert_id)).mappings()
        found = row.first()
        return None if found is None else _alert(found)

    def open_for_order(self, order_id: str, alert_type: AlertType) -> Alert | None:
        """The unacknowledged alert of this type for the order, if one is open."""
        if (order_id, alert_type) in self._open_known:
            return self._open_known[(order_id, alert_type)]
        row = (
            self._conn.execute(_OPEN_FOR_ORDER, {"order_id": order_id, "type": alert_type.value})
            .mappings()
            .first()
        )
        return None if row is None else _alert(row)

    def get_many(self, alert_ids: Iterable[str]) -> dict[str, Alert]:
        """The alerts of these ids that exist, by id (one statement)."""
        self.flush()
        wanted = sorted(set(alert_ids))
        if not wanted:
            return {}
        rows = self._conn.execute(select(t.alerts).where(t.alerts.c.id.in_(wanted))).mappings()
        return {alert.id: alert for alert in map(_alert, rows)}

    def acknowledge(self, alert_ids: Iterable[str], by: str, now: datetime) -> list[Alert]:
        """Mark alerts as seen and handled (one statement); returns those it closed.

        Alerts already closed keep who closed them and when.
        """
        self.flush()
        self._open_known.clear()
        wanted = sorted(set(alert_ids))
        if not wanted:
            return []
        rows = self._conn.execute(
            update(t.alerts)
            .where(t.alerts.c.id.in_(wanted), t.alerts.c.acknowledged_at.is_(None))
            .values(acknowledged_at=now, acknowledged_by=by)
            .returning(*t.alerts.c)
        ).mappings()
        return sorted((_alert(row) for row in rows), key=_oldest_first)

    def find(
        self,
        open_only: bool,
        alert_type: str | None,
        zone_ids: frozenset[str] | None,
        limit: int,
    ) -> list[Alert]:
        """Alerts newest first, filtered as the console asks and as the manager may see."""
        self.flush()
        query = select(t.alerts).order_by(t.alerts.c.at.desc(), t.alerts.c.id).limit(limit)
        if open_only:
            query = query.where(t.alerts.c.acknowledged_at.is_(None))
        if alert_type:
            query = query.where(t.alerts.c.type == alert_type)
        if zone_ids is not None:
            query = query.where(t.alerts.c.zone_id.in_(sorted(zone_ids)))
        return [_alert(row) for row in self._conn.execute(query).mappings()]


def _oldest_first(alert: Alert) -> tuple[datetime, str]:
    return (alert.at, alert.id)


def _alert_row(alert: Alert) -> tuple[object, ...]:
    acknowledged = alert.acknowledged_at
    return (
        alert.id,
        alert.type.value,
        alert.order_id,
        alert.offer_id,
        alert.installer_id,
        alert.zone_id,
        alert.detail,
        to_micros(alert.at),
        None if acknowledged is None else to_micros(acknowledged),
        alert.acknowledged_by,
    )


def _alert(row: object) -> Alert:
    values = dict(row)  # type: ignore[call-overload]
    values["type"] = AlertType(values["type"])
    return Alert(**values)
