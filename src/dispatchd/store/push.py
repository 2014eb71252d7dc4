"""Phones subscribed to Web Push, and the deployment's own secrets (the VAPID key pair).

A subscription is the push service's address for one browser on one phone; it belongs to the
installer who was logged in when the phone subscribed, and moves to whoever subscribes the
same browser next. The VAPID key is made once and kept in the database so that every process
of a deployment signs pushes with the same key the phones subscribed with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, select

from dispatchd.store import tables as t
from dispatchd.store.sql import insert_ignoring_conflict, upsert

VAPID_PRIVATE_KEY = "vapid_private_key"


@dataclass(frozen=True)
class PushSubscription:
    """One browser's push address and the keys its messages are encrypted for."""

    id: str
    installer_id: str
    endpoint: str
    p256dh: str
    auth: str
    created_at: datetime

    def as_webpush_info(self) -> dict[str, object]:
        """The subscription in the Push API's JSON shape, as :func:`webpush.deliver` takes it."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class PushSubscriptions:
    """Stores, lists and forgets push subscriptions."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def save(self, subscription: PushSubscription) -> PushSubscription:
        """Store a subscription; the same endpoint again replaces the older one's owner and keys.

        Returns the stored row, whose id is the older one's when the endpoint was known.
        """
        upsert(
            self._conn,
            t.push_subscriptions,
            subscription.__dict__,
            keys=["endpoint"],
            update=["installer_id", "p256dh", "auth"],
        )
        stored = self.by_endpoint(subscription.endpoint)
        assert stored is not None
        return stored

    def by_endpoint(self, endpoint: str) -> PushSubscription | None:
        """The subscription with this endpoint, if stored."""
        row = (
            self._conn.execute(
                select(t.push_subscriptions).where(t.push_subscriptions.c.endpoint == endpoint)
            )
            .mappings()
            .first()
        )
        return None if row is None else PushSubscription(**row)

    def for_installer(self, installer_id: str) -> list[PushSubscription]:
        """Every phone the installer has subscribed, oldest first."""
        rows = self._conn.execute(
            select(t.push_subscriptions)
            .where(t.push_subscriptions.c.installer_id == installer_id)
            .order_by(t.push_subscriptions.c.created_at, t.push_subscriptions.c.id)
        ).mappings()
        return [PushSubscription(**row) for row in rows]

    def remove(self, subscription_id: str, installer_id: str | None = None) -> bool:
        """Forget a subscription (only the installer's own, when given); True if one was."""
        statement = delete(t.push_subscriptions).where(t.push_subscriptions.c.id == subscription_id)
        if installer_id is not None:
            statement = statement.where(t.push_subscriptions.c.installer_id == installer_id)
        return self._conn.execute(statement).rowcount == 1

    def remove_endpoint(self, endpoint: str) -> bool:
        """Forget the subscription at an endpoint the push service says is gone."""
        result = self._conn.execute(
            delete(t.push_subscriptions).where(t.push_subscriptions.c.endpoint == endpoint)
        )
        return result.rowcount == 1


class DeploymentSecrets:
    """Named secrets made once per deployment and shared by all its processes."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, name: str) -> str | None:
        """The secret's value, or None if it was never made."""
        return self._conn.execute(
            select(t.deployment_secrets.c.value).where(t.deployment_secrets.c.name == name)
        ).scalar()

    def get_or_create(self, name: str, value: str, now: datetime) -> str:
        """The stored value; ``value`` is stored first if there is none (the first start wins)."""
        insert_ignoring_conflict(
            self._conn, t.deployment_secrets, {"name": name, "value": value, "created_at": now}
        )
        stored = self.get(name)
        assert stored is not None
        return stored
