"""Location updates ingested per second: through the service layer, and over HTTP.

Every installer's phone reports its position every few seconds, so this is the write the
server takes most often. The service-layer run calls ``Dispatcher.report_positions`` from a
few threads in this process, as the HTTP route does, without HTTP in the way, while a position
saver writes the batch every second as a server's does; the HTTP run sends
``POST /api/v1/me/location`` with many installers' tokens from a separate load process to a
live ``dispatchd serve``. A position is soft state: taken into memory at once, saved in
batches of one statement (see ``dispatchd.service.positions``).
"""

from __future__ import annotations

import os
import random
import shutil
import threading
import time
from typing import Any

from dispatchd.engine.positions import PositionSaver
from dispatchd.service.positions import PositionReport
from dispatchd_bench.city import Login, dispatcher_for, new_data_dir, random_point, seed_city
from dispatchd_bench.http_orders import Server
from dispatchd_bench.loadgen import http_request, run_load
from dispatchd_bench.profiling import profiled
from dispatchd_bench.stats import percentile


def run_locations_service(
    installers: int, callers: int, seconds: float, database_url: str | None = None
) -> dict[str, Any]:
    """Updates per second through ``Dispatcher.execute`` from ``callers`` threads."""
    data_dir = new_data_dir("locations")
    try:
        with dispatcher_for(data_dir, database_url) as dispatcher:
            city = seed_city(dispatcher, installers, consoles=0)
            latencies: list[list[float]] = [[] for _ in range(callers)]
            errors: list[str] = []
            start = threading.Barrier(callers + 1)

            def call(n: int) -> None:
                rng = random.Random(n)
                mine = city.installers[n::callers]
                start.wait()
                ends = time.perf_counter() + seconds
                i = 0
                while time.perf_counter() < ends:
                    login = mine[i % len(mine)]
                    assert login.installer_id is not None
                    began = time.perf_counter()
                    try:
                        dispatcher.report_positions(
                            login.installer_id,
                            [PositionReport("", random_point(rng), 10.0)],
                        )
                    except Exception as exc:
                        errors.append(type(exc).__name__)
                    latencies[n].append((time.perf_counter() - began) * 1000)
                    i += 1

            threads = [threading.Thread(target=call, args=(n,)) for n in range(callers)]
            for thread in threads:
                thread.start()
            store = "postgresql" if database_url else "sqlite"
            saver = PositionSaver(dispatcher, 1.0)
            saver.start()
            with profiled(f"locations_service_{store}_{callers}_callers", os.getpid()):
                start.wait()
                began = time.perf_counter()
                for thread in threads:
                    thread.join()
                elapsed = time.perf_counter() - began
            saver.stop()
        flat = [x for per_caller in latencies for x in per_caller]
        return {
            "store": "postgresql" if database_url else "sqlite",
            "callers": callers,
            "installers": installers,
            "updates": len(flat),
            "errors": len(errors),
            "updates_per_s": round(len(flat) / elapsed, 1),
            "batches_saved": saver.batches,
            "latency_p50_ms": round(percentile(flat, 50), 2),
            "latency_p99_ms": round(percentile(flat, 99), 2),
        }
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run_locations_http(
    installers: int, requests: int, concurrency: int, database_url: str | None = None
) -> dict[str, Any]:
    """Updates per second over HTTP against a live server, tokens of ``installers`` phones."""
    data_dir = new_data_dir("locations-http")
    try:
        with dispatcher_for(data_dir, database_url) as dispatcher:
            city = seed_city(dispatcher, installers, consoles=0)
        server = Server(database_url, data_dir=data_dir)
        try:
            host = f"127.0.0.1:{server.port}"
            updates = _location_requests(city.installers, requests, host)
            store = "postgresql" if database_url else "sqlite"
            with profiled(f"locations_http_{store}", server.process.pid):
                load = run_load("127.0.0.1", server.port, updates, concurrency)
        finally:
            server.stop()
        figures = load.as_dict()
        return {
            "store": "postgresql" if database_url else "sqlite",
            "concurrency": concurrency,
            "installers": installers,
            "updates": figures["requests"],
            "errors": figures["errors"],
            "updates_per_s": figures["requests_per_s"],
            "latency_p50_ms": figures["latency_p50_ms"],
            "latency_p99_ms": figures["latency_p99_ms"],
        }
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _location_requests(logins: list[Login], count: int, host: str) -> list[bytes]:
    rng = random.Random(11)
    requests = []
    for n in range(count):
        where = random_point(rng)
        body = {"lat": where.lat, "lon": where.lon, "accuracy_m": 10.0}
        path = "/api/v1/me/location"
        requests.append(http_request("POST", path, host, logins[n % len(logins)].headers, body))
    return requests
