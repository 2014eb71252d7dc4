"""Live event streams: how many one ``dispatchd serve`` holds, and how late events reach them.

A separate load process opens N streams on raw sockets — one per installer's phone (each sees
only its own offers) and one in a hundred for dispatcher consoles (each sees every event) —
then creates orders at a steady rate over HTTP. Each client takes the time an event's bytes
arrive and subtracts the event's ``at`` (stamped by the server in the transaction that
committed it), so the latency covers the commit, the fan-out and the socket. The server's
resident memory is read while the streams are held.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import resource
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing import get_context
from typing import Any

import httpx

from dispatchd_bench.city import (
    ADMIN_PASSWORD,
    dispatcher_for,
    new_data_dir,
    random_point,
    seed_city,
)
from dispatchd_bench.http_orders import Server
from dispatchd_bench.loadgen import _read_response, http_request
from dispatchd_bench.machine import rss_mib
from dispatchd_bench.profiling import profiled
from dispatchd_bench.stats import percentile

CONSOLE_SHARE = 100
OPENING_AT_ONCE = 64
OPEN_TIMEOUT_S = 300.0
DRAIN_S = 2.0
#: Connections the orders are sent over, each taking every n-th order at its time.
ORDER_CONNECTIONS = 4
AT_FIELD = re.compile(rb'"at": ?"([^"]+)"')


def raise_open_file_limit() -> int:
    """Lift this process's open-file limit to the hard limit (inherited by its children)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1_048_576
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


@dataclass
class _Tally:
    opened: int = 0
    refused: int = 0
    closed_early: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    stopping: bool = False


def _record(block: bytes, received: float, tally: _Tally) -> None:
    match = AT_FIELD.search(block)
    if match is not None:
        at = datetime.fromisoformat(match.group(1).decode()).timestamp()
        tally.latencies_ms.append((received - at) * 1000)


async def _hold_stream(
    host: str, port: int, request: bytes, opening: asyncio.Semaphore, tally: _Tally
) -> None:
    async with opening:
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
        except (OSError, asyncio.IncompleteReadError):
            tally.refused += 1
            return
    if int(head.split(b" ", 2)[1]) != 200:
        tally.refused += 1
        writer.close()
        return
    tally.opened += 1
    buffer = b""
    try:
        while chunk := await reader.read(65536):
            received = time.time()
            buffer = (buffer + chunk).replace(b"\r\n", b"\n")
            *blocks, buffer = buffer.split(b"\n\n")
            for block in blocks:
                _record(block, received, tally)
        if not tally.stopping:
            tally.closed_early += 1
    except OSError:
        if not tally.stopping:
            tally.closed_early += 1
    finally:
        writer.close()


async def _create_orders(
    host: str, port: int, requests: list[bytes], rate: float
) -> dict[str, float]:
    """Send the orders at ``rate`` over a few keep-alive connections (so a slow answer does
    not hold back the next order), and report the rate actually achieved."""
    errors: list[int] = []
    began = time.perf_counter()

    async def send(lane: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for n in range(lane, len(requests), ORDER_CONNECTIONS):
                delay = began + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                writer.write(requests[n])
                if await _read_response(reader) >= 400:
                    errors.append(n)
        finally:
            writer.close()

    await asyncio.gather(*(send(lane) for lane in range(ORDER_CONNECTIONS)))
    elapsed = time.perf_counter() - began
    return {
        "orders": len(requests),
        "order_errors": len(errors),
        "orders_per_s": len(requests) / elapsed,
    }


async def _drive(
    host: str,
    port: int,
    streams: list[bytes],
    orders: list[bytes],
    rate: float,
    to_parent: Any,
    to_child: Any,
) -> None:
    tally = _Tally()
    opening = asyncio.Semaphore(OPENING_AT_ONCE)
    began = time.perf_counter()
    tasks = [
        asyncio.create_task(_hold_stream(host, port, request, opening, tally))
        for request in streams
    ]
    deadline = time.monotonic() + OPEN_TIMEOUT_S
    while tally.opened + tally.refused < len(streams) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    to_parent.put(("opened", tally.opened, tally.refused, time.perf_counter() - began))
    await asyncio.get_running_loop().run_in_executor(None, to_child.get)
    tally.latencies_ms.clear()
    sent = await _create_orders(host, port, orders, rate)
    await asyncio.sleep(DRAIN_S)
    tally.stopping = True
    held = tally.opened - tally.closed_early
    for task in tasks:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*tasks, return_exceptions=True)
    to_parent.put(("done", held, sent, tally.latencies_ms))


def _client_main(
    host: str,
    port: int,
    streams: list[bytes],
    orders: list[bytes],
    rate: float,
    to_parent: Any,
    to_child: Any,
) -> None:
    raise_open_file_limit()
    asyncio.run(_drive(host, port, streams, orders, rate, to_parent, to_child))


def _stream_request(host: str, headers: dict[str, str]) -> bytes:
    """HTTP/1.0, so the body arrives unchunked and ends when the server closes the stream."""
    lines = ["GET /api/v1/events HTTP/1.0", f"Host: {host}", "Accept: text/event-stream"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _order_requests(host: str, admin: dict[str, str], count: int) -> list[bytes]:
    import random

    rng = random.Random(5)
    requests = []
    for _ in range(count):
        where = random_point(rng)
        body = {
            "customer": {"name": "Li Lei", "phone": "+8613912345678"},
            "address": "1 Bench Road",
            "location": {"lat": where.lat, "lon": where.lon},
            "product": "Air conditioner",
        }
        requests.append(http_request("POST", "/api/v1/orders", host, admin, body))
    return requests


def run_sse(
    streams: int, orders_per_s: float, seconds: float, database_url: str | None = None
) -> dict[str, Any]:
    """Hold ``streams`` event streams on one server and measure event delivery latency."""
    raise_open_file_limit()
    consoles = max(1, streams // CONSOLE_SHARE)
    installers = streams - consoles
    data_dir = new_data_dir("sse")
    try:
        with dispatcher_for(data_dir, database_url) as dispatcher:
            city = seed_city(dispatcher, installers, consoles)
        server = Server(database_url, data_dir=data_dir)
        try:
            return _measure(
                server, city.installers + city.consoles, consoles, orders_per_s, seconds
            )
        finally:
            server.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _measure(
    server: Server, logins: list[Any], consoles: int, orders_per_s: float, seconds: float
) -> dict[str, Any]:
    host = f"127.0.0.1:{server.port}"
    with httpx.Client(base_url=server.url, timeout=30) as http:
        token = http.post(
            "/api/v1/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}
        ).json()["access_token"]
    admin = {"Authorization": f"Bearer {token}"}
    streams = [_stream_request(host, login.headers) for login in logins]
    orders = _order_requests(host, admin, max(1, math.ceil(orders_per_s * seconds)))
    context = get_context("spawn")
    to_parent, to_child = context.Queue(), context.Queue()
    child = context.Process(
        target=_client_main,
        args=("127.0.0.1", server.port, streams, orders, orders_per_s, to_parent, to_child),
    )
    idle = rss_mib(server.process.pid)
    child.start()
    try:
        with profiled(f"sse_{len(streams)}_opening", server.process.pid):
            _, opened, refused, open_s = to_parent.get(timeout=OPEN_TIMEOUT_S + 60)
        time.sleep(1.0)
        holding = rss_mib(server.process.pid)
        with profiled(f"sse_{len(streams)}_delivering", server.process.pid):
            to_child.put("go")
            _, held, sent, latencies = to_parent.get(timeout=seconds * 4 + 120)
    finally:
        child.join(30)
        if child.is_alive():
            child.kill()
    return {
        "streams": len(streams),
        "console_streams": consoles,
        "installer_streams": len(streams) - consoles,
        "opened": opened,
        "refused": refused,
        "opened_in_s": round(open_s, 2),
        "held_to_end": held,
        "orders_per_s": round(sent["orders_per_s"], 1),
        "order_errors": sent["order_errors"],
        "deliveries": len(latencies),
        "deliveries_per_s": round(len(latencies) / (sent["orders"] / sent["orders_per_s"]), 1),
        "latency_p50_ms": round(percentile(latencies, 50), 1),
        "latency_p99_ms": round(percentile(latencies, 99), 1),
        "latency_max_ms": round(max(latencies, default=0.0), 1),
        "server_rss_idle_mib": idle["rss_mib"],
        "server_rss_holding_mib": holding["rss_mib"],
        "server_kib_per_stream": round(
            (holding["rss_mib"] - idle["rss_mib"]) * 1024 / max(opened, 1), 1
        ),
    }
