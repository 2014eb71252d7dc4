"""Web Push delivery against a push service on localhost: encrypted, signed, gone or failed."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from dispatchd.notify.webpush import (
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


class PushService:
    """Records what it receives and answers with the status it is told to."""

    def __init__(self) -> None:
        self.status = 201
        self.received: list[tuple[dict[str, str], bytes]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/push/abc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def service() -> Iterator[PushService]:
    push = PushService()
    yield push
    push.server.shutdown()
    push.server.server_close()


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
    service: PushService, browser_keys: tuple[ec.EllipticCurvePrivateKey, bytes]
) -> None:
    vapid = new_vapid_keys()
    payload = {"kind": "penalty", "amount": 2000, "address": "南京西路 1 号"}
    deliver(_subscription(service.url, browser_keys), payload, vapid.private_key, "mailto:ops@x.cn")
    headers, body = service.received[0]
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
    assert claims["aud"] == service.url.rsplit("/push", 1)[0]


def test_a_stored_row_shape_is_accepted_as_the_subscription(
    service: PushService, browser_keys: tuple[ec.EllipticCurvePrivateKey, bytes]
) -> None:
    nested = _subscription(service.url, browser_keys)
    flat = {"endpoint": nested["endpoint"], **nested["keys"]}
    deliver(flat, {"kind": "new_offer"}, new_vapid_keys().private_key, "mailto:ops@x.cn")
    assert len(service.received) == 1


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_no_longer_knows_is_reported_gone(
    service: PushService, browser_keys: tuple[ec.EllipticCurvePrivateKey, bytes], status: int
) -> None:
    service.status = status
    with pytest.raises(SubscriptionGone) as gone:
        deliver(
            _subscription(service.url, browser_keys),
            {},
            new_vapid_keys().private_key,
            "mailto:a@b.cn",
        )
    assert gone.value.status_code == status


def test_other_refusals_and_an_unreachable_service_are_failures_worth_retrying(
    service: PushService, browser_keys: tuple[ec.EllipticCurvePrivateKey, bytes]
) -> None:
    service.status = 503
    subscription = _subscription(service.url, browser_keys)
    key = new_vapid_keys().private_key
    with pytest.raises(PushFailed) as refused:
        deliver(subscription, {}, key, "mailto:a@b.cn")
    assert not isinstance(refused.value, SubscriptionGone)
    assert refused.value.status_code == 503
    unreachable = {**subscription, "endpoint": "http://127.0.0.1:9/push"}
    with pytest.raises(PushFailed):
        deliver(unreachable, {}, key, "mailto:a@b.cn", timeout_s=2)


def test_the_public_key_is_derived_from_the_stored_private_key() -> None:
    keys = new_vapid_keys()
    assert public_key_of(keys.private_key) == keys.public_key
    assert len(base64.urlsafe_b64decode(keys.public_key + "=")) == 65
