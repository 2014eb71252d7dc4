"""Web Push: how an offer reaches a phone whose app is closed, so it still vibrates and rings.

The deployment signs every push with its VAPID key (RFC 8292) and encrypts the payload for
the subscribing browser (RFC 8291, ``aes128gcm``). The push service answers 404 or 410 when
the phone has unsubscribed or the subscription expired; :class:`SubscriptionGone` tells the
caller to forget it instead of retrying for ever. The message goes out through the guarded
client (:mod:`dispatchd.notify.pinned_https`): an endpoint that breaks its rules is never
connected to, and :class:`EndpointRefused` says so.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pywebpush import Vapid, WebPusher

from dispatchd.notify.outbound import OutboundRefused
from dispatchd.notify.pinned_https import OutboundFailed, OutboundResponse

DEFAULT_TTL_S = 15 * 60
GONE_STATUSES = frozenset({404, 410})
VAPID_LIFETIME_S = 12 * 3600


class Transport(Protocol):
    """Where an encrypted push is POSTed: the guarded client, or a test's recorder."""

    def check(self, url: str) -> None:
        """Raise OutboundRefused if the URL's text already breaks a rule (no lookup)."""
        ...

    def post(self, url: str, headers: Mapping[str, str], body: bytes) -> OutboundResponse:
        """Send the request; raise OutboundRefused or OutboundFailed if it did not get there."""
        ...


class PushFailed(Exception):
    """The push service did not take the message; worth retrying later."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class SubscriptionGone(PushFailed):
    """The push service no longer knows this subscription (404/410): delete it, do not retry."""


class EndpointRefused(PushFailed):
    """The endpoint breaks the outbound rules (not allowed, or not a public address): not sent."""


@dataclass(frozen=True)
class VapidKeys:
    """A P-256 key pair as the wire formats want it (unpadded base64url).

    ``private_key`` is the raw 32-byte scalar, which pywebpush accepts as is; ``public_key`` is
    the uncompressed point the browser needs as ``applicationServerKey``.
    """

    private_key: str
    public_key: str


def new_vapid_keys() -> VapidKeys:
    """Make a fresh key pair (once per deployment; phones subscribe against its public half)."""
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    return VapidKeys(_b64url(raw), public_key_of(_b64url(raw)))


def public_key_of(private_key: str) -> str:
    """The ``applicationServerKey`` that belongs to a stored private key."""
    scalar = int.from_bytes(_b64url_decode(private_key), "big")
    point = (
        ec.derive_private_key(scalar, ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return _b64url(point)


def deliver(
    subscription: Mapping[str, Any],
    payload: Mapping[str, Any],
    vapid_private_key: str,
    subject: str,
    transport: Transport,
    ttl_s: int = DEFAULT_TTL_S,
    urgency: str = "high",
) -> None:
    """Encrypt ``payload`` as JSON for the subscribed browser and hand it to its push service.

    ``subscription`` is the Push API's shape (``endpoint`` and ``keys.p256dh``/``keys.auth``)
    or a stored row's flat shape (``endpoint``, ``p256dh``, ``auth``). ``subject`` is the
    ``mailto:`` or ``https:`` contact push services may use to reach the deployment.

    Raises :class:`SubscriptionGone` on 404/410, :class:`EndpointRefused` when the endpoint may
    not be connected to, and :class:`PushFailed` on any other failure.
    """
    info = _subscription_info(subscription)
    endpoint = str(info["endpoint"])
    try:
        transport.check(endpoint)
    except OutboundRefused as exc:
        raise EndpointRefused(f"push endpoint refused, not sent: endpoint {exc}") from exc
    parts = urlsplit(endpoint)
    host = parts.hostname or endpoint
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    claims = {
        "sub": subject,
        "aud": f"{parts.scheme}://{parts.netloc}",
        "exp": int(time.time()) + VAPID_LIFETIME_S,
    }
    headers = {
        **Vapid.from_raw(vapid_private_key.encode()).sign(claims),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(ttl_s),
        "Urgency": urgency,
    }
    body = WebPusher(info).encode(data, "aes128gcm")["body"]
    try:
        response = transport.post(endpoint, headers, body)
    except OutboundRefused as exc:
        raise EndpointRefused(f"push endpoint refused, not sent: endpoint {exc}") from exc
    except OutboundFailed as exc:
        raise PushFailed(f"push service {host} unreachable: {exc}") from exc
    if response.status in GONE_STATUSES:
        raise SubscriptionGone(f"push service {host} answered {response.status}", response.status)
    if not 200 <= response.status < 300:
        raise PushFailed(
            f"push service {host} refused the message ({response.status})", response.status
        )


def _subscription_info(subscription: Mapping[str, Any]) -> dict[str, Any]:
    keys = subscription.get("keys") or {
        "p256dh": subscription.get("p256dh"),
        "auth": subscription.get("auth"),
    }
    endpoint = subscription.get("endpoint")
    if not endpoint or not keys.get("p256dh") or not keys.get("auth"):
        raise ValueError("a push subscription needs endpoint, p256dh and auth")
    return {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
