"""Web Push delivery as the push service sees it: encrypted, signed, gone or failed."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from dispatchd.notify.outbound import OutboundGuard
from dispatchd.notify.pinned_https import OutboundFailed, OutboundResponse
from dispatchd.notify.webpush import (
    EndpointRefused,
    PushFailed,
    SubscriptionGone,
    deliver,
    new_vapid_keys,
    public_key_of,
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _verified_jwt(token: str, public_key: str) -> dict[str, Any]:
    """The claims of an ES256 JWT, after checking its signature against the VAPID key."""
    signed, _, signature = token.rpartition(".")
    raw = _unb64(signature)
    der = utils.encode_dss_signature(
        int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    )
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(public_key))
    key.verify(der, signed.encode(), ec.ECDSA(hashes.SHA256()))
    return dict(json.loads(_unb64(signed.split(".")[1])))


ENDPOINT = "https://updates.push.services.mozilla.com/wpush/v2/abc"


class RecordingTransport:
    """Stands where the guarded client would: records each request, answers a set status."""

    def __init__(self) -> None:
        self.status = 201
        self.failure: Exception | None = None
        self.received: list[tuple[str, dict[str, str], bytes]] = []

    def check(self, url: str) -> None:
        OutboundGuard(["updates.push.services.mozilla.com"]).check_url(url)

    def post(self, url: str, headers: Mapping[str, str], body: bytes) -> OutboundResponse:
        if self.failure is not None:
            raise self.failure
        self.received.append((url, {k.lower(): v for k, v in headers.items()}, body))
        return OutboundResponse(self.status, b"")


@pytest.fixture
def service() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def browser_keys() -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    return ec.generate_private_key(ec.SECP256R1()), b"0123456789abcdef"


def _subscription(url: str, keys: tuple[ec.EllipticCurvePrivateKey, bytes]) -> dict[str, Any]:
    private, auth = keys
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {"endpoint": url, "keys": {"p256dh": _b64(point), "auth": _b64(auth)}}


def test_a_push_is_encrypted_for_the_browser_and_signed_with_the_deployments_key(
    service: RecordingTransport, browser_keys: tuple[ec.EllipticCurvePrivateKey, bytes]
) -> None:
    vapid = new_vapid_keys()
    payload = {"kind": "penalty", "amount": 2000, "address": "南京西路 1 号"}
    deliver(
        _subscription(ENDPOINT, browser_keys),
        payload,
        vapid.private_key,
        "mailto:ops@x.cn",
        service,
    )
    url, headers, body = service.received[0]
    assert url == ENDPOINT
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["urgency"] == "high"
    assert int(headers["ttl"]) > 0
    clear = http_ece.decrypt(
        body, private_key=browser_keys[0], auth_secret=browser_keys[1], version="aes128gcm"
    )
    assert json.loads(clear) == payload
    scheme, _, credentials = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.split("=", 1) for part in credentials.split(","))
    assert fields["k"] == vapid.public_key
    claims = _verified_jwt(fields["t"], vapid.public_key)
    assert claims["sub"] == "mailto:ops@x.cn"
    assert claims["aud"] == "https://updates.push.services.mozilla.com"


def test_a_stored_row_shape_is_accepted_as_the_subscription(
    service: RecordingTransport, browser_keys: tuple[ec.EllipticCurvePrivateKey, bytes]
) -> None:
    nested = _subscription(ENDPOINT, browser_keys)
    flat = {"endpoint": nested["endpoint"], **nested["keys"]}
    deliver(flat, {"kind": "new_offer"}, new_vapid_keys().private_key, "mailto:ops@x.cn", service)
    assert len(service.received) == 1


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_no_longer_knows_is_reported_gone(
    service: RecordingTransport, browser_keys: tuple[ec.EllipticCurvePrivateKey, bytes], status: int
) -> None:
    service.status = status
    with pytest.raises(SubscriptionGone) as gone:
        deliver(
            _subscription(ENDPOINT, browser_keys),
            {},
            new_vapid_keys().private_key,
            "mailto:a@b.cn",
            service,
        )
    assert gone.value.status_code == status


def test_other_refusals_and_an_unreachable_service_are_failures_worth_retrying(
    service: RecordingTransport, browser_keys: tuple[ec.EllipticCurvePrivateKey, bytes]
) -> None:
    service.status = 503
    subscription = _subscription(ENDPOINT, browser_keys)
    key = new_vapid_keys().private_key
    with pytest.raises(PushFailed) as refused:
        deliver(subscription, {}, key, "mailto:a@b.cn", service)
    assert not isinstance(refused.value, SubscriptionGone)
    assert refused.value.status_code == 503
    service.failure = OutboundFailed("updates.push.services.mozilla.com unreachable")
    with pytest.raises(PushFailed) as unreachable:
        deliver(subscription, {}, key, "mailto:a@b.cn", service)
    assert not isinstance(unreachable.value, SubscriptionGone | EndpointRefused)


def test_a_redirect_is_an_answer_not_a_place_to_follow(
    service: RecordingTransport, browser_keys: tuple[ec.EllipticCurvePrivateKey, bytes]
) -> None:
    service.status = 307
    with pytest.raises(PushFailed) as refused:
        deliver(
            _subscription(ENDPOINT, browser_keys),
            {},
            new_vapid_keys().private_key,
            "mailto:a@b.cn",
            service,
        )
    assert refused.value.status_code == 307
    assert len(service.received) == 1


def test_an_endpoint_that_breaks_the_rules_is_refused_before_anything_is_sent(
    service: RecordingTransport, browser_keys: tuple[ec.EllipticCurvePrivateKey, bytes]
) -> None:
    with pytest.raises(EndpointRefused):
        deliver(
            _subscription("https://[::1]:8443/push", browser_keys),
            {},
            new_vapid_keys().private_key,
            "mailto:a@b.cn",
            service,
        )
    assert service.received == []


def test_the_public_key_is_derived_from_the_stored_private_key() -> None:
    keys = new_vapid_keys()
    assert public_key_of(keys.private_key) == keys.public_key
    assert len(base64.urlsafe_b64decode(keys.public_key + "=")) == 65
