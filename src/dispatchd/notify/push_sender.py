"""Delivers an outbox push to every phone an installer has subscribed.

A phone the push service no longer knows (404/410) is forgotten on the spot; any other
failure — an endpoint the outbound rules refuse included, which is then never connected to —
is raised so that the relay records it and retries the message later.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import Connection

from dispatchd.notify.webpush import PushFailed, SubscriptionGone, Transport, deliver
from dispatchd.store.push import VAPID_PRIVATE_KEY, DeploymentSecrets, PushSubscriptions

Reading = Callable[[], AbstractContextManager[Connection]]


class WebPushSender:
    """The relay's Web Push channel."""

    def __init__(
        self,
        reading: Reading,
        forget: Callable[[str], None],
        subject: str,
        transport: Transport,
    ) -> None:
        self._reading = reading
        self._forget = forget
        self._subject = subject
        self._transport = transport

    def send(self, installer_id: str, payload: dict[str, object]) -> None:
        """Push to each of the installer's phones; raise if any could not be reached."""
        with self._reading() as conn:
            key = DeploymentSecrets(conn).get(VAPID_PRIVATE_KEY)
            phones = PushSubscriptions(conn).for_installer(installer_id)
        if key is None or not phones:
            return
        failures = []
        for phone in phones:
            try:
                deliver(phone.as_webpush_info(), payload, key, self._subject, self._transport)
            except SubscriptionGone:
                self._forget(phone.endpoint)
            except PushFailed as exc:
                failures.append(str(exc))
        if failures:
            raise PushFailed("; ".join(failures))
