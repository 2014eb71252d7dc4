"""The demo's phones and shop talk to the server over HTTP, with the standard library alone.

The demo ships with the server, so it may use nothing the base install does not bring: JSON
requests, a multipart photo upload and an event stream are all a few lines of ``http.client``.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPException
from typing import Any
from urllib.parse import urlencode, urlsplit


class DemoHttpError(Exception):
    """The server could not be reached or answered with something unreadable."""


@dataclass(frozen=True)
class Reply:
    """A response: status and decoded JSON body (None when there is none)."""

    status: int
    body: Any

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return 200 <= self.status < 300


@dataclass(frozen=True)
class FilePart:
    """A file field of a multipart form."""

    filename: str
    content: bytes
    content_type: str


class DemoHttp:
    """One keep-alive connection per thread to the demo's own server."""

    def __init__(self, base_url: str, timeout_s: float = 10.0) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._timeout_s = timeout_s
        self._local = threading.local()

    def get(
        self, path: str, headers: dict[str, str], params: dict[str, Any] | None = None
    ) -> Reply:
        """GET a JSON resource."""
        query = f"?{urlencode(params)}" if params else ""
        return self._send("GET", path + query, None, headers)

    def post(
        self,
        path: str,
        headers: dict[str, str],
        json_body: Any = None,
        form: dict[str, str] | None = None,
        files: dict[str, FilePart] | None = None,
    ) -> Reply:
        """POST JSON, or a multipart form when files are given."""
        if files is not None:
            body, content_type = _multipart(form or {}, files)
            return self._send("POST", path, body, {**headers, "Content-Type": content_type})
        if json_body is None:
            return self._send("POST", path, b"", headers)
        payload = json.dumps(json_body).encode()
        return self._send("POST", path, payload, {**headers, "Content-Type": "application/json"})

    def put(self, path: str, headers: dict[str, str], json_body: Any) -> Reply:
        """PUT JSON."""
        payload = json.dumps(json_body).encode()
        return self._send("PUT", path, payload, {**headers, "Content-Type": "application/json"})

    def events(
        self, path: str, headers: dict[str, str], read_timeout_s: float = 60.0
    ) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Follow a Server-Sent Events stream: (id, name, data) as they arrive."""
        conn = HTTPConnection(self._host, self._port, timeout=read_timeout_s)
        try:
            conn.request("GET", path, headers={**headers, "Accept": "text/event-stream"})
            response = conn.getresponse()
            if response.status != 200:
                raise DemoHttpError(f"event stream answered {response.status}")
            event_id, name = "", ""
            while True:
                raw = response.readline()
                if not raw:
                    return
                line = raw.decode().rstrip("\r\n")
                if line.startswith("id:"):
                    event_id = line[3:].strip()
                elif line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:") and name:
                    yield event_id, name, json.loads(line[5:])
                elif not line:
                    name = ""
        except (OSError, HTTPException, ValueError) as exc:
            raise DemoHttpError(str(exc)) from exc
        finally:
            conn.close()

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                raw = response.read()
            except (OSError, HTTPException) as exc:
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise DemoHttpError(f"{method} {path}: {exc}") from exc
                continue
            try:
                decoded = json.loads(raw) if raw else None
            except ValueError as exc:
                raise DemoHttpError(f"{method} {path}: the answer is not JSON") from exc
            return Reply(response.status, decoded)
        raise AssertionError("unreachable")

    def _connection(self) -> HTTPConnection:
        conn: HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = HTTPConnection(self._host, self._port, timeout=self._timeout_s)
            self._local.conn = conn
        return conn


def _multipart(form: dict[str, str], files: dict[str, FilePart]) -> tuple[bytes, str]:
    boundary = f"demo-{secrets.token_hex(12)}"
    chunks: list[bytes] = []
    for name, value in form.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, part in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{part.filename}"\r\nContent-Type: {part.content_type}\r\n\r\n'
        )
        chunks.append(head.encode() + part.content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"
