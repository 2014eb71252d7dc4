"""Orders created and offered, and offers accepted, over HTTP against a live server process.

The server runs as ``dispatchd serve`` on a fresh data directory; the load comes from another
process on loopback. The same run measures a trivial endpoint of the same server, so the
ratio shows how close the order path gets to the framework's own ceiling.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from dispatchd_bench.city import SIDE, SOUTH, SQUARE, WEST
from dispatchd_bench.loadgen import http_request, run_load
from dispatchd_bench.profiling import profiled

ADMIN_PASSWORD = "bench-admin-password"
INSTALLERS_SEED = 11
ORDERS_SEED = 12


class Server:
    """A ``dispatchd serve`` process for the benchmark."""

    def __init__(
        self,
        database_url: str | None = None,
        data_dir: Path | None = None,
        extra_env: dict[str, str] | None = None,
        serve_options: tuple[str, ...] = (),
    ) -> None:
        self._owns_data_dir = data_dir is None
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="dispatchd-bench-http-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DISPATCHD_DATA_DIR": str(self.data_dir),
            "DISPATCHD_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "DISPATCHD_ENVIRONMENT": "test",
            "DISPATCHD_LOGIN_ATTEMPTS_PER_MINUTE": "100000",
        }
        if database_url:
            env["DISPATCHD_DATABASE_URL"] = database_url
        env.update(extra_env or {})
        self.log = (self.data_dir / "server.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dispatchd", "serve", "--port", str(self.port), *serve_options],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = (self.data_dir / "server.log").read_bytes()[-2000:].decode(errors="replace")
                raise RuntimeError(f"benchmark server exited at start-up:\n{tail}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("benchmark server did not start")

    def stop(self) -> None:
        """Stop the server."""
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        if self._owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _somewhere(rng: random.Random) -> dict[str, float]:
    """A point uniformly inside the city's square."""
    return {
        "lat": round(SOUTH + rng.random() * SIDE, 6),
        "lon": round(WEST + rng.random() * SIDE, 6),
    }


def _order_body(rng: random.Random) -> dict[str, Any]:
    return {
        "customer": {"name": "Li Lei", "phone": "+8613912345678"},
        "address": "1 Bench Road",
        "location": _somewhere(rng),
        "product": "Air conditioner",
    }


def _setup_city(http: httpx.Client, installers: int) -> tuple[dict[str, str], list[dict[str, str]]]:
    """A zone over the square and on-duty installers spread over it, as in a real city."""
    rng = random.Random(INSTALLERS_SEED)
    token = http.post(
        "/api/v1/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}
    ).json()["access_token"]
    admin = {"Authorization": f"Bearer {token}"}
    zone = http.post("/api/v1/zones", json={"name": "Bench", "boundary": SQUARE}, headers=admin)
    zone_id = zone.json()["id"]
    people = []
    for n in range(installers):
        http.post(
            "/api/v1/installers",
            json={
                "name": f"Installer {n}",
                "phone": f"+8613800{n:06d}",
                "zone_ids": [zone_id],
                "capacity": 100,
                "username": f"bench{n}",
                "password": "bench-password",
            },
            headers=admin,
        ).raise_for_status()
        login = http.post(
            "/api/v1/auth/token", json={"username": f"bench{n}", "password": "bench-password"}
        ).json()
        headers = {"Authorization": f"Bearer {login['access_token']}"}
        http.post("/api/v1/me/location", json=_somewhere(rng), headers=headers)
        http.put("/api/v1/me/duty", json={"on_duty": True}, headers=headers)
        people.append({"id": login["installer_id"], **headers})
    return admin, people


#: The serving stack dispatchd ran on before httptools and uvloop, measured beside today's.
PLAIN_STACK = ("--http", "h11", "--loop", "asyncio")


def _trivial_on_plain_stack(
    database_url: str | None, requests: int, concurrency: int
) -> dict[str, Any]:
    """The trivial endpoint on the pure-Python parser and the standard loop, for the ratio."""
    server = Server(database_url, serve_options=PLAIN_STACK)
    try:
        health = [http_request("GET", "/healthz", f"127.0.0.1:{server.port}", {})] * requests
        return run_load("127.0.0.1", server.port, health, concurrency).as_dict()
    finally:
        server.stop()


def run_http_orders(
    orders: int = 3000, concurrency: int = 32, database_url: str | None = None
) -> dict[str, Any]:
    """Measure the trivial endpoint, order creation, and accepts, on one live server."""
    server = Server(database_url)
    store = "postgresql" if database_url else "sqlite"
    try:
        host = f"127.0.0.1:{server.port}"
        with httpx.Client(base_url=server.url, timeout=30) as http:
            admin, people = _setup_city(http, installers=max(40, orders // 90))
        health = [http_request("GET", "/healthz", host, {}) for _ in range(orders)]
        with profiled(f"http_trivial_endpoint_{store}", server.process.pid):
            baseline = run_load("127.0.0.1", server.port, health, concurrency)
        rng = random.Random(ORDERS_SEED)
        creates = [
            http_request("POST", "/api/v1/orders", host, admin, _order_body(rng))
            for _ in range(orders)
        ]
        with profiled(f"http_create_order_{store}", server.process.pid):
            created = run_load("127.0.0.1", server.port, creates, concurrency)
        with httpx.Client(base_url=server.url, timeout=60) as http:
            accepts = []
            for person in people:
                headers = {"Authorization": person["Authorization"]}
                for offer in http.get("/api/v1/me/offers", headers=headers).json()["items"]:
                    path = f"/api/v1/offers/{offer['id']}/accept"
                    accepts.append(http_request("POST", path, host, headers))
        with profiled(f"http_accept_offer_{store}", server.process.pid):
            accepted = run_load("127.0.0.1", server.port, accepts, concurrency)
        orders_per_s = created.as_dict()["requests_per_s"]
        ceiling = baseline.as_dict()["requests_per_s"]
        figures = {
            "store": store,
            "concurrency": concurrency,
            "trivial_endpoint": baseline.as_dict(),
            "create_order": created.as_dict(),
            "accept_offer": accepted.as_dict(),
            "orders_vs_trivial": round(orders_per_s / max(ceiling, 1e-9), 3),
        }
    finally:
        server.stop()
    figures["trivial_endpoint_plain_stack"] = _trivial_on_plain_stack(
        database_url, orders, concurrency
    )
    return figures
