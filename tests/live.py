"""A real HTTP server in a background thread, and a Server-Sent Events reader for tests."""

from __future__ import annotations

import json
import queue
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """Run the app under uvicorn on a free port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()

    def wait_started() -> None:
        while not server.started and thread.is_alive():
            started.wait(0.01)

    wait_started()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass(frozen=True)
class SseEvent:
    """One received Server-Sent Event."""

    id: int
    event: str
    data: dict[str, Any]


class SseReader:
    """Reads an event stream on a thread, so a test can wait for events with a timeout.

    It speaks HTTP/1.0 over a plain socket with a short receive timeout, so closing the
    reader never waits for the server's next keep-alive ping.
    """

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        host, _, port = base_url.removeprefix("http://").partition(":")
        self._address = (host, int(port))
        self._headers = headers
        self._events: queue.Queue[SseEvent] = queue.Queue()
        self._stop = threading.Event()
        self._opened = threading.Event()
        self.status_code: int | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self) -> SseReader:
        self._thread.start()
        if not self._opened.wait(10):
            raise TimeoutError("the event stream did not open")
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _read(self) -> None:
        lines = ["GET /api/v1/events HTTP/1.0", f"Host: {self._address[0]}"]
        lines += [f"{name}: {value}" for name, value in self._headers.items()]
        with socket.create_connection(self._address, timeout=5) as sock:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            sock.settimeout(0.05)
            buffer = b""
            head_done = False
            while not self._stop.is_set():
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    break
                buffer += chunk
                if not head_done and b"\r\n\r\n" in buffer:
                    head, buffer = buffer.split(b"\r\n\r\n", 1)
                    self.status_code = int(head.split(b" ", 2)[1])
                    head_done = True
                    self._opened.set()
                if head_done:
                    buffer = self._parse(buffer)
        self._opened.set()

    def _parse(self, buffer: bytes) -> bytes:
        normalised = buffer.replace(b"\r\n", b"\n")
        *blocks, rest = normalised.split(b"\n\n")
        for block in blocks:
            fields: dict[str, str] = {}
            for line in block.decode().split("\n"):
                name, _, value = line.partition(":")
                if name:
                    fields[name] = value.lstrip(" ")
            if "data" in fields and "id" in fields:
                self._events.put(
                    SseEvent(int(fields["id"]), fields["event"], json.loads(fields["data"]))
                )
        return rest

    def next(self, timeout: float = 5.0) -> SseEvent:
        """The next event, or TimeoutError when none arrives in time."""
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty as exc:
            raise TimeoutError("no event arrived") from exc

    def until(self, name: str, timeout: float = 5.0) -> list[SseEvent]:
        """Every event up to and including the first named ``name``."""
        seen = []
        while True:
            event = self.next(timeout)
            seen.append(event)
            if event.event == name:
                return seen

    def drain(self) -> list[SseEvent]:
        """Whatever has arrived so far, without waiting."""
        found = []
        while not self._events.empty():
            found.append(self._events.get_nowait())
        return found
