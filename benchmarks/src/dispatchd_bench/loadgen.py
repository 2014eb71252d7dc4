"""A small HTTP/1.1 load generator: keep-alive connections driven by asyncio, raw sockets.

It runs in its own process so that the load and the server do not share an interpreter, and
it is lean enough (no HTTP library on the hot path) that on two cores the server, not the
load generator, is what gets measured.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from dispatchd_bench.stats import percentile

RequestFactory = Callable[[int], bytes]


@dataclass(frozen=True)
class LoadResult:
    """Throughput and latency of one load run."""

    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    def as_dict(self) -> dict[str, float]:
        """JSON-ready figures."""
        return {
            "requests": self.requests,
            "errors": self.errors,
            "requests_per_s": round(self.requests / max(self.seconds, 1e-9), 1),
            "latency_p50_ms": round(percentile(self.latencies_ms, 50), 2),
            "latency_p99_ms": round(percentile(self.latencies_ms, 99), 2),
        }


def http_request(
    method: str, path: str, host: str, headers: dict[str, str], body: Any = None
) -> bytes:
    """The bytes of one keep-alive HTTP/1.1 request with an optional JSON body."""
    payload = b"" if body is None else json.dumps(body).encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(payload)}"]
    if body is not None:
        lines.append("Content-Type: application/json")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


async def _worker(
    host: str, port: int, requests: Sequence[bytes], latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for request in requests:
            started = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            latencies.append((time.perf_counter() - started) * 1000)
            if status >= 400:
                errors.append(status)
    finally:
        writer.close()


async def _drive(host: str, port: int, batches: list[list[bytes]]) -> LoadResult:
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    await asyncio.gather(*(_worker(host, port, b, latencies, errors) for b in batches))
    return LoadResult(len(latencies), len(errors), time.perf_counter() - started, latencies)


def _run_in_child(host: str, port: int, batches: list[list[bytes]], queue: Any) -> None:
    result = asyncio.run(_drive(host, port, batches))
    queue.put(result)


def run_load(host: str, port: int, requests: Sequence[bytes], concurrency: int) -> LoadResult:
    """Send every request over ``concurrency`` connections from a separate process."""
    batches = [list(requests[i::concurrency]) for i in range(concurrency)]
    context = get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_run_in_child, args=(host, port, batches, queue))
    child.start()
    result: LoadResult = queue.get(timeout=600)
    child.join(30)
    return result
