"""The server's only HTTPS client for URLs that others gave it: checked, pinned and bounded.

Every request goes through :class:`OutboundGuard` first. The TCP connection is then opened to
an address the guard checked — never to the host name, which a second DNS lookup could turn
into ``127.0.0.1`` — while TLS still sends the host name (SNI) and verifies the certificate
against it, and ``Host`` names it. Redirects are not followed (a 3xx is just an answer), time
is bounded for the whole exchange, and at most ``max_response_bytes`` of the answer are read.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dispatchd.notify.outbound import Destination, OutboundGuard

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024

OpenSocket = Callable[[tuple[str, int], float], socket.socket]
"""(checked address, port) and a timeout → a connected TCP socket."""


class OutboundFailed(Exception):
    """The request could not be completed (connection, TLS, timeout): worth a later retry."""


@dataclass(frozen=True)
class OutboundResponse:
    """What the remote answered: its status and the first bytes of its body."""

    status: int
    body: bytes


def open_tcp(address: tuple[str, int], timeout_s: float) -> socket.socket:
    """Connect to a numeric address only, so nothing on the way can look a name up again."""
    host, port = address
    info = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_NUMERICHOST
    )[0]
    sock = socket.socket(info[0], info[1], info[2])
    try:
        sock.settimeout(timeout_s)
        sock.connect(info[4])
    except BaseException:
        sock.close()
        raise
    return sock


class PinnedHttpsClient:
    """POSTs to guarded URLs, one short-lived connection each."""

    def __init__(
        self,
        guard: OutboundGuard,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        tls: ssl.SSLContext | None = None,
        open_socket: OpenSocket = open_tcp,
    ) -> None:
        self.guard = guard
        self._timeout_s = timeout_s
        self._connect_timeout_s = min(connect_timeout_s, timeout_s)
        self._max_response_bytes = max_response_bytes
        self._tls = tls or ssl.create_default_context()
        self._open_socket = open_socket

    def check(self, url: str) -> None:
        """Raise OutboundRefused if the URL's text breaks a rule, before any work or lookup."""
        self.guard.check_url(url)

    def post(self, url: str, headers: Mapping[str, str], body: bytes) -> OutboundResponse:
        """Send one POST; raises OutboundRefused (never connected) or OutboundFailed."""
        destination = self.guard.destination(url)
        deadline = time.monotonic() + self._timeout_s
        connection = _PinnedConnection(destination, self._connect, deadline)
        try:
            connection.request("POST", destination.target, body=body, headers=dict(headers))
            connection.set_remaining(deadline)
            response = connection.getresponse()
            return OutboundResponse(
                response.status, self._read_bounded(connection, response, deadline)
            )
        except (OSError, http.client.HTTPException) as exc:
            raise OutboundFailed(
                f"{destination.host}: {type(exc).__name__}: {exc}".rstrip(": ")
            ) from exc
        finally:
            connection.close()

    def _read_bounded(
        self, connection: _PinnedConnection, response: http.client.HTTPResponse, deadline: float
    ) -> bytes:
        content = bytearray()
        while len(content) < self._max_response_bytes:
            connection.set_remaining(deadline)
            chunk = response.read1(self._max_response_bytes - len(content))
            if not chunk:
                break
            content += chunk
        return bytes(content)

    def _connect(self, destination: Destination, deadline: float) -> ssl.SSLSocket:
        errors = []
        for address in destination.addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                raw = self._open_socket(
                    (address, destination.port), min(self._connect_timeout_s, remaining)
                )
            except OSError as exc:
                errors.append(f"{address}: {exc}")
                continue
            try:
                raw.settimeout(max(deadline - time.monotonic(), 0.001))
                return self._tls.wrap_socket(raw, server_hostname=destination.host)
            except BaseException:
                raw.close()
                raise
        raise OutboundFailed(f"{destination.host} unreachable ({'; '.join(errors) or 'timeout'})")


class _PinnedConnection(http.client.HTTPSConnection):
    """``http.client`` for the request and response; the socket comes from the pinned dial."""

    def __init__(
        self,
        destination: Destination,
        dial: Callable[[Destination, float], ssl.SSLSocket],
        deadline: float,
    ) -> None:
        super().__init__(destination.host, destination.port)
        self._destination = destination
        self._dial = dial
        self._deadline = deadline

    def connect(self) -> None:
        """Dial a checked address instead of resolving ``self.host``."""
        self.sock = self._dial(self._destination, self._deadline)

    def set_remaining(self, deadline: float) -> None:
        """Let the next read wait only for what is left of the whole exchange's time."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the exchange took longer than its time limit")
        if self.sock is not None:
            self.sock.settimeout(remaining)
