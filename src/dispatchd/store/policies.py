"""The escalation policy, versioned: each offer remembers the version it was sent under."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from dispatchd.domain.escalation import Policy
from dispatchd.store import tables as t
from dispatchd.wire.policy import policy_from_json, policy_json

_NEWEST = (
    select(t.policies.c.version, t.policies.c.body).order_by(t.policies.c.version.desc()).limit(1)
)


class PolicyRepository:
    """Stores policy versions and reads the current one."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._current: tuple[int, Policy] | None = None

    def current(self) -> tuple[int, Policy] | None:
        """The newest policy and its version, or None before the first is stored.

        Read once per unit of work: every offer a transaction sends uses the same policy.
        """
        if self._current is None:
            self._current = self._read_current()
        return self._current

    def _read_current(self) -> tuple[int, Policy] | None:
        row = self._conn.execute(_NEWEST).first()
        if row is None:
            return None
        return int(row[0]), policy_from_json(row[1])

    def add(self, policy: Policy, now: datetime, by: str | None) -> int:
        """Store a new version; offers sent from now on use it."""
        result = self._conn.execute(
            t.policies.insert().values(body=policy_json(policy), created_at=now, created_by=by)
        )
        key = result.inserted_primary_key
        assert key is not None
        self._current = None
        return int(key[0])
