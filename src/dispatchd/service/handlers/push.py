"""Installers' phones subscribing to Web Push, and the deployment's VAPID key behind it.

The server will later POST to whatever endpoint a phone registers, so an endpoint must be an
``https`` URL of a known push service (the outbound rules of :mod:`dispatchd.notify.outbound`,
checked here without a DNS lookup; the API resolves the host before it submits the command)
and the keys must have the sizes RFC 8291 gives them; anything else is refused here, before
it is stored.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime

from dispatchd.domain.errors import FieldError, InvalidInput
from dispatchd.domain.ids import new_id
from dispatchd.notify.outbound import OutboundGuard, OutboundRefused
from dispatchd.notify.webpush import VapidKeys, new_vapid_keys, public_key_of
from dispatchd.service.commands import ForgetGonePhone, SubscribePush, UnsubscribePush
from dispatchd.service.context import Context
from dispatchd.service.errors import NotFound
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store.push import (
    VAPID_PRIVATE_KEY,
    DeploymentSecrets,
    PushSubscription,
    PushSubscriptions,
)

MAX_ENDPOINT = 1000
P256DH_BYTES = 65
AUTH_BYTES = 16


def ensure_vapid_keys(uow: UnitOfWork, now: datetime) -> VapidKeys:
    """The deployment's VAPID key pair, made at first start and the same ever after."""
    candidate = new_vapid_keys()
    private = DeploymentSecrets(uow.conn).get_or_create(
        VAPID_PRIVATE_KEY, candidate.private_key, now
    )
    return VapidKeys(private, public_key_of(private))


def subscribe_push(cmd: SubscribePush, uow: UnitOfWork, ctx: Context) -> PushSubscription:
    """Remember where to push the installer's alerts; a known endpoint changes hands."""
    errors = subscription_errors(cmd.endpoint, cmd.p256dh, cmd.auth, ctx.settings.push_host_rules())
    if errors:
        raise InvalidInput(errors)
    return PushSubscriptions(uow.conn).save(
        PushSubscription(
            id=new_id("psb"),
            installer_id=cmd.installer_id,
            endpoint=cmd.endpoint,
            p256dh=cmd.p256dh,
            auth=cmd.auth,
            created_at=ctx.now,
        )
    )


def unsubscribe_push(cmd: UnsubscribePush, uow: UnitOfWork, _ctx: Context) -> None:
    """Stop pushing to that phone (only the installer's own subscriptions can be removed)."""
    if not PushSubscriptions(uow.conn).remove(cmd.subscription_id, cmd.installer_id):
        raise NotFound("push subscription", cmd.subscription_id)


def forget_gone_phone(cmd: ForgetGonePhone, uow: UnitOfWork, _ctx: Context) -> None:
    """Drop a subscription its push service has forgotten (404/410)."""
    PushSubscriptions(uow.conn).remove_endpoint(cmd.endpoint)


def subscription_errors(
    endpoint: str, p256dh: str, auth: str, push_hosts: Sequence[str]
) -> list[FieldError]:
    """Every reason a browser's subscription cannot be used, named by its JSON field."""
    errors = []
    problem = _endpoint_problem(endpoint, push_hosts)
    if problem:
        errors.append(problem)
    key = _decoded(p256dh)
    if key is None or len(key) != P256DH_BYTES or key[0] != 4:
        errors.append(
            FieldError(
                "keys.p256dh",
                "must be an uncompressed P-256 point (65 bytes, base64url)",
                "push_key_invalid",
                {"bytes": P256DH_BYTES},
            )
        )
    secret = _decoded(auth)
    if secret is None or len(secret) != AUTH_BYTES:
        errors.append(
            FieldError(
                "keys.auth",
                "must be 16 bytes, base64url-encoded",
                "push_key_invalid",
                {"bytes": AUTH_BYTES},
            )
        )
    return errors


def _endpoint_problem(endpoint: str, push_hosts: Sequence[str]) -> FieldError | None:
    if len(endpoint) > MAX_ENDPOINT:
        return FieldError(
            "endpoint",
            f"is longer than {MAX_ENDPOINT} characters",
            "string_too_long",
            {"max_length": MAX_ENDPOINT},
        )
    try:
        OutboundGuard(push_hosts).check_url(endpoint)
    except OutboundRefused as exc:
        return FieldError("endpoint", str(exc), "endpoint_refused")
    return None


def _decoded(value: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
