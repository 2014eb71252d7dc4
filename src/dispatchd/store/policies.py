"""The escalation policy, versioned: each offer remembers the version it was sent under."""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import Connection

from dispatchd.domain.escalation import Policy
from dispatchd.store import tables as t
from dispatchd.store.bulk import raw_execute
from dispatchd.wire.policy import policy_from_json, policy_json

_NEWEST = "SELECT version, body FROM policies ORDER BY version DESC LIMIT 1"
_NEWEST_PG = "SELECT version, body::text FROM policies ORDER BY version DESC LIMIT 1"

#: Policies parsed in this process, by their stored text: every dispatch reads the current
#: one, and a stored version never changes, so its text is parsed once.
_PARSED: dict[str, Policy] = {}
_MAX_PARSED = 64


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
        sql = _NEWEST_PG if self._conn.dialect.name == "postgresql" else _NEWEST
        rows = raw_execute(self._conn, sql, ())
        if not rows:
            return None
        version, body = rows[0]
        policy = _PARSED.get(body)
        if policy is None:
            policy = policy_from_json(orjson.loads(body))
            if len(_PARSED) >= _MAX_PARSED:
                _PARSED.clear()
            _PARSED[body] = policy
        return int(version), policy

    def add(self, policy: Policy, now: datetime, by: str | None) -> int:
        """Store a new version; offers sent from now on use it."""
        result = self._conn.execute(
            t.policies.insert().values(body=policy_json(policy), created_at=now, created_by=by)
        )
        key = result.inserted_primary_key
        assert key is not None
        self._current = None
        return int(key[0])
