"""The guarded client dials the checked address yet speaks TLS to the host name, and stays bounded.

A TLS server on loopback plays the push service, with a certificate from a test authority.
The resolver says the host is at a public address; the test's ``open_socket`` records the
address it is asked to dial and connects to the local server instead.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dispatchd.notify.outbound import OutboundGuard
from dispatchd.notify.pinned_https import OutboundFailed, PinnedHttpsClient
from tests.outbound import StubResolver

HOST = "web.push.apple.com"
PUBLIC = "17.188.143.34"


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate | None = None,
    issuer_key: ec.EllipticCurvePrivateKey | None = None,
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), False)
    return builder.sign(issuer_key or key, hashes.SHA256())


class PushService:
    """A TLS HTTP server that records requests and the name the client asked for (SNI)."""

    def __init__(self, directory: Path, certified_name: str) -> None:
        ca_key, leaf_key = (
            ec.generate_private_key(ec.SECP256R1()),
            ec.generate_private_key(ec.SECP256R1()),
        )
        ca = _certificate("dispatchd test authority", ca_key)
        leaf = _certificate(certified_name, leaf_key, ca, ca_key)
        pem = serialization.Encoding.PEM
        (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
        (directory / "leaf.pem").write_bytes(
            leaf.public_bytes(pem)
            + leaf_key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self.client_tls = ssl.create_default_context(cafile=str(directory / "ca.pem"))
        self.status = 201
        self.body = b""
        self.stall = threading.Event()
        self.requests: list[dict[str, str]] = []
        self.server_names: list[str | None] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                service.requests.append({k.lower(): v for k, v in self.headers.items()})
                if service.stall.is_set():
                    service.release.wait(10)
                    return
                self.send_response(service.status)
                self.send_header("Location", "https://127.0.0.1/elsewhere")
                self.send_header("Content-Length", str(len(service.body)))
                self.end_headers()
                self.wfile.write(service.body)

            def log_message(self, *_args: Any) -> None:
                return

        self.release = threading.Event()
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(directory / "leaf.pem")
        tls.sni_callback = lambda _sock, name, _ctx: service.server_names.append(name)
        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.dialled: list[tuple[str, int]] = []

    def open_socket(self, address: tuple[str, int], timeout_s: float) -> socket.socket:
        self.dialled.append(address)
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout_s)

    def client(self, **options: Any) -> tuple[PinnedHttpsClient, StubResolver]:
        resolver = StubResolver({HOST: [PUBLIC]})
        guard = OutboundGuard(["*.push.apple.com"], resolver)
        return (
            PinnedHttpsClient(guard, tls=self.client_tls, open_socket=self.open_socket, **options),
            resolver,
        )

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[PushService]:
    push = PushService(tmp_path, HOST)
    yield push
    push.close()


def test_the_connection_goes_to_the_checked_address_while_tls_and_host_name_the_service(
    service: PushService,
) -> None:
    client, resolver = service.client()
    response = client.post(f"https://{HOST}:{service.port}/push/abc", {"TTL": "60"}, b"sealed")
    assert response.status == 201
    assert service.dialled == [(PUBLIC, service.port)]
    assert resolver.asked == [HOST]
    assert service.server_names == [HOST]
    assert service.requests[0]["host"] == f"{HOST}:{service.port}"


def test_a_certificate_for_another_name_is_not_trusted(tmp_path: Path) -> None:
    impostor = PushService(tmp_path, "impostor.example")
    try:
        client, _ = impostor.client()
        with pytest.raises(OutboundFailed, match="certificate"):
            client.post(f"https://{HOST}:{impostor.port}/push/abc", {}, b"sealed")
        assert impostor.requests == []
    finally:
        impostor.close()


def test_a_redirect_is_returned_as_it_is_and_never_followed(service: PushService) -> None:
    service.status = 301
    client, resolver = service.client()
    response = client.post(f"https://{HOST}:{service.port}/push/abc", {}, b"sealed")
    assert response.status == 301
    assert len(service.requests) == 1
    assert service.dialled == [(PUBLIC, service.port)]
    assert resolver.asked == [HOST]


def test_only_the_first_bytes_of_a_long_answer_are_read(service: PushService) -> None:
    service.body = b"x" * 1_000_000
    client, _ = service.client(max_response_bytes=1024)
    response = client.post(f"https://{HOST}:{service.port}/push/abc", {}, b"sealed")
    assert response.body == b"x" * 1024


def test_a_service_that_never_answers_is_given_up_on_after_the_time_limit(
    service: PushService,
) -> None:
    service.stall.set()
    client, _ = service.client(timeout_s=0.5)
    with pytest.raises(OutboundFailed, match=r"timed out|Timeout"):
        client.post(f"https://{HOST}:{service.port}/push/abc", {}, b"sealed")
