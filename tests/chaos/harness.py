"""The chaos run's moving parts: servers, the shop, the installers, watchers and the monkey.

Everything talks to the servers over HTTP only, as real clients would: a request that fails
because its server died (or the database restarted) is sent again, with the same
``Idempotency-Key``, to another server.
"""

from __future__ import annotations

import heapq
import json
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from dispatchd.store.database import Database
from dispatchd.store.event_log import write_events
from dispatchd.store.event_publication import publication_round
from tests.conftest import ADMIN_PASSWORD
from tests.e2e.server import ServerProcess
from tests.helpers import CENTRE
from tests.postgres import ThrowawayCluster

ONE_SECOND_LADDER = {
    "escalation": [
        {"after_s": 1, "action": "remind"},
        {"after_s": 1, "action": "penalize", "amount": 500},
        {"after_s": 1, "action": "revoke"},
    ],
    "max_auto_attempts": 3,
    "customer_notice": "on_accept",
}
RETRYABLE = {500, 502, 503, 504}
CLIENTS: list[Client] = []


@dataclass(frozen=True)
class ChaosPlan:
    """How big a run is."""

    orders: int
    seconds: float
    installers: int
    kills: int
    servers: int = 3
    poll_s: float = 0.5
    seed: int = 5


REDUCED = ChaosPlan(orders=200, seconds=24, installers=12, kills=6)
FULL = ChaosPlan(orders=2_400, seconds=240, installers=40, kills=24, poll_s=1.0)


class Fleet:
    """``dispatchd serve`` processes on one database; any may be down for a moment."""

    def __init__(self, plan: ChaosPlan, root: Path, database_url: str) -> None:
        self.sms_file = root / "sms.jsonl"
        env = {
            "DISPATCHD_DATABASE_URL": database_url,
            "DISPATCHD_SECRET_KEY": "chaos-run-secret",
            "DISPATCHD_SMS_URL": f"file://{self.sms_file}",
            "DISPATCHD_ENGINE_POLL_S": "0.5",
            "DISPATCHD_OUTBOX_LEASE_S": "3",
        }
        self.servers = []
        for number in range(plan.servers):
            data_dir = root / f"server-{number}"
            data_dir.mkdir()
            self.servers.append(ServerProcess(data_dir, env))
        self._up = set(range(plan.servers))
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the first server (it migrates and seeds), then the others together."""
        self.servers[0].start()
        others = [threading.Thread(target=s.start) for s in self.servers[1:]]
        for thread in others:
            thread.start()
        for thread in others:
            thread.join(60)

    def any_url(self, rng: random.Random) -> str:
        """The base URL of a server that is (probably) up."""
        with self._lock:
            number = rng.choice(sorted(self._up) or range(len(self.servers)))
        return self.servers[number].base_url

    def kill_and_restart(self, number: int) -> None:
        """SIGKILL one server, then start it again and wait until it answers."""
        with self._lock:
            self._up.discard(number)
        self.servers[number].kill()
        self.servers[number].start()
        with self._lock:
            self._up.add(number)

    def stop(self) -> None:
        """Kill every server."""
        for server in self.servers:
            server.kill()


class Client:
    """An HTTP client that retries on dead servers and 5xx, keeping the idempotency key."""

    def __init__(self, fleet: Fleet, seed: int, stop: threading.Event) -> None:
        self.fleet = fleet
        self.rng = random.Random(seed)
        self.stop = stop
        self.http = httpx.Client(timeout=10.0)
        self.retries = 0
        CLIENTS.append(self)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def call(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: Any = None,
        key: str | None = None,
        patience_s: float = 60.0,
    ) -> httpx.Response:
        """Send until a server answers with anything but a 5xx, or patience runs out."""
        if key is not None:
            headers = {**headers, "Idempotency-Key": key}
        give_up = time.monotonic() + patience_s
        while True:
            url = self.fleet.any_url(self.rng) + path
            try:
                response = self.http.request(method, url, json=body, headers=headers)
                if response.status_code not in RETRYABLE:
                    return response
            except httpx.TransportError:
                pass
            self.retries += 1
            if time.monotonic() > give_up:
                raise TimeoutError(f"{method} {path}: no server answered for {patience_s} s")
            time.sleep(0.1 + self.rng.random() * 0.2)

    def json(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: Any = None,
        key: str | None = None,
    ) -> Any:
        """Call and return the JSON of a 2xx answer."""
        response = self.call(method, path, headers, body, key)
        assert response.status_code < 300, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None

    def login(self, username: str, password: str) -> dict[str, str]:
        """Bearer headers for the user."""
        token = self.json(
            "POST", "/api/v1/auth/token", {}, {"username": username, "password": password}
        )
        return {"Authorization": f"Bearer {token['access_token']}"}


@dataclass
class City:
    """The deployment the run plays in: one zone, installers on duty spread over it."""

    admin: dict[str, str]
    installers: list[tuple[str, dict[str, str]]]


def build_city(client: Client, plan: ChaosPlan) -> City:
    """Set the 1-second ladder, draw the zone, register installers and put them on duty."""
    admin = client.login("admin", ADMIN_PASSWORD)
    client.json("PUT", "/api/v1/policy", admin, ONE_SECOND_LADDER)
    zone = client.json("POST", "/api/v1/zones", admin, {"name": "Centre", "boundary": CENTRE})["id"]
    installers = []
    for number in range(plan.installers):
        record = client.json(
            "POST",
            "/api/v1/installers",
            admin,
            {
                "name": f"Installer {number}",
                "phone": f"+86138{number:08d}",
                "zone_ids": [zone],
                "capacity": 100,
                "username": f"installer{number}",
                "password": "installer-password",
            },
        )
        headers = client.login(f"installer{number}", "installer-password")
        where = {
            "lat": 31.16 + client.rng.random() * 0.13,
            "lon": 121.41 + client.rng.random() * 0.13,
        }
        client.json("POST", "/api/v1/me/location", headers, where)
        client.json("PUT", "/api/v1/me/duty", headers, {"on_duty": True})
        installers.append((record["id"], headers))
    return City(admin, installers)


class Shop:
    """Creates the plan's orders at an even pace from a few tills, each order with its own key."""

    TILLS = 4

    def __init__(self, fleet: Fleet, city: City, plan: ChaosPlan, stop: threading.Event) -> None:
        self.clients = [Client(fleet, plan.seed + 100 + n, stop) for n in range(self.TILLS)]
        self.city = city
        self.plan = plan
        self.created: list[str] = []

    @property
    def retries(self) -> int:
        """How many requests had to be sent again."""
        return sum(client.retries for client in self.clients)

    def run(self) -> None:
        """Create every order, spread over the plan's seconds; returns when all exist."""
        start = time.monotonic()
        tills = [
            threading.Thread(target=self._till, args=(number, start))
            for number in range(self.TILLS)
        ]
        for till in tills:
            till.start()
        for till in tills:
            till.join()

    def _till(self, till: int, start: float) -> None:
        client = self.clients[till]
        for number in range(till, self.plan.orders, self.TILLS):
            moment = start + number * self.plan.seconds / self.plan.orders
            time.sleep(max(0.0, moment - time.monotonic()))
            where = {
                "lat": 31.16 + client.rng.random() * 0.13,
                "lon": 121.41 + client.rng.random() * 0.13,
            }
            order = client.json(
                "POST",
                "/api/v1/orders",
                self.city.admin,
                {
                    "customer": {"name": f"Customer {number}", "phone": f"+86139{number:08d}"},
                    "address": f"{number} Nanjing Road",
                    "location": where,
                    "product": "Air conditioner",
                },
                key=f"order-{number}",
            )
            self.created.append(order["id"])


@dataclass
class Installer:
    """One installer's phone: polls for offers, then accepts, declines or ignores each."""

    installer_id: str
    headers: dict[str, str]
    client: Client
    poll_s: float
    answered_200: set[str] = field(default_factory=set)
    answers: dict[str, int] = field(default_factory=dict)

    def run(self) -> None:
        """Poll and answer until told to stop."""
        seen: set[str] = set()
        plans: list[tuple[float, str, str]] = []
        while not self.client.stop.is_set():
            for offer in self._offers():
                if offer["id"] not in seen:
                    seen.add(offer["id"])
                    plans.extend(self._decide(offer))
                    heapq.heapify(plans)
            while plans and plans[0][0] <= time.time():
                _, verb, offer_id = heapq.heappop(plans)
                self._answer(verb, offer_id)
            self.client.stop.wait(self.poll_s * (0.5 + self.client.rng.random()))

    def _offers(self) -> list[dict[str, Any]]:
        try:
            response = self.client.call("GET", "/api/v1/me/offers", self.headers, patience_s=5)
        except TimeoutError:
            return []
        return list(response.json()["items"]) if response.status_code == 200 else []

    def _decide(self, offer: dict[str, Any]) -> list[tuple[float, str, str]]:
        roll = self.client.rng.random()
        if roll < 0.3:
            return []
        verb = "accept" if roll < 0.8 else "decline"
        sent = datetime.fromisoformat(offer["sent_at"].replace("Z", "+00:00")).timestamp()
        return [(sent + self.client.rng.uniform(0.0, 3.3), verb, offer["id"])]

    def _answer(self, verb: str, offer_id: str) -> None:
        response = self.client.call(
            "POST", f"/api/v1/offers/{offer_id}/{verb}", self.headers, key=f"{verb}-{offer_id}"
        )
        self.answers[f"{verb} {response.status_code}"] = (
            self.answers.get(f"{verb} {response.status_code}", 0) + 1
        )
        if verb == "accept" and response.status_code == 200:
            self.answered_200.add(offer_id)


class StreamWatcher:
    """An SSE client that keeps reconnecting — to whichever server — with Last-Event-ID."""

    def __init__(
        self, fleet: Fleet, headers: dict[str, str], seed: int, stop: threading.Event
    ) -> None:
        self.fleet = fleet
        self.headers = headers
        self.rng = random.Random(seed)
        self.stop = stop
        self.received: list[int] = []
        self.reconnects = 0
        self.errors: list[str] = []

    @property
    def last_id(self) -> int:
        """The id of the last event received (0 before the first)."""
        return self.received[-1] if self.received else 0

    def run(self) -> None:
        """Read, drop the connection now and then (or lose it to a kill), resume."""
        while not self.stop.is_set():
            try:
                self._read_for(self.rng.uniform(1.0, 6.0))
            except OSError as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
                time.sleep(0.2)
            self.reconnects += 1

    def _read_for(self, seconds: float) -> None:
        host, _, port = self.fleet.any_url(self.rng).removeprefix("http://").partition(":")
        lines = [
            "GET /api/v1/events HTTP/1.0",
            f"Host: {host}",
            f"Last-Event-ID: {self.last_id}",
            *(f"{name}: {value}" for name, value in self.headers.items()),
        ]
        until = time.monotonic() + seconds
        with socket.create_connection((host, int(port)), timeout=3) as sock:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            sock.settimeout(0.2)
            buffer = b""
            while time.monotonic() < until and not self.stop.is_set():
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    return
                buffer = self._parse(buffer + chunk)

    def _parse(self, buffer: bytes) -> bytes:
        if b"\r\n\r\n" in buffer and buffer.startswith(b"HTTP/"):
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            if b" 200 " not in head.split(b"\r\n", 1)[0]:
                raise ConnectionError(head.decode(errors="replace"))
        *blocks, rest = buffer.replace(b"\r\n", b"\n").split(b"\n\n")
        for block in blocks:
            for line in block.decode().split("\n"):
                if line.startswith("id:"):
                    self.received.append(int(line[3:].strip()))
        return rest


@dataclass
class HeldTransaction:
    """One deliberately slow writer's transaction, as the run saw it."""

    order_id: str
    events: int
    #: The newest published event id when it queued its events, and just before it committed.
    published_at_queue: int
    published_at_commit: int
    #: False when its commit raised (the database restarted): it may or may not have happened.
    committed: bool


class HeldWriter:
    """Writes events as a command would, but keeps each transaction open for a while.

    While one is held, everyone else's events must go on being published; once it commits,
    its own events must follow everything published meanwhile. Now and then it commits and
    publishes nothing, like a process killed between commit and publication, so the servers'
    pumps must publish its events.
    """

    def __init__(self, database_url: str, seed: int, name: str) -> None:
        self.database = Database(database_url, pool_size=2)
        self.rng = random.Random(seed)
        self.name = name
        self.held: list[HeldTransaction] = []
        self.errors = 0

    def run(self, stop: threading.Event) -> None:
        """Hold one transaction after another until told to stop."""
        number = 0
        while not stop.is_set():
            number += 1
            try:
                self._hold_one(f"ord_held_{self.name}_{number}", stop)
            except (DBAPIError, psycopg.Error):
                self.errors += 1
                stop.wait(0.5)
        self.database.dispose()

    def _hold_one(self, order_id: str, stop: threading.Event) -> None:
        rows = [_held_event(order_id, index) for index in range(self.rng.randint(1, 3))]
        hold_s = self.rng.uniform(0.3, 2.5)
        record = HeldTransaction(order_id, len(rows), 0, 0, committed=False)
        self.held.append(record)
        with self.database.write() as conn:
            write_events(conn, rows)
            record.published_at_queue = self._newest_published()
            stop.wait(hold_s)
            record.published_at_commit = self._newest_published()
        record.committed = True
        if self.rng.random() < 0.8:
            publication_round(self.database)

    def _newest_published(self) -> int:
        with self.database.read() as conn:
            return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM events")).scalar_one())


def _held_event(order_id: str, index: int) -> dict[str, Any]:
    return {
        "name": "chaos.held",
        "order_id": order_id,
        "installer_id": None,
        "zone_id": None,
        "data": {"index": index},
        "at": datetime.now(UTC),
    }


class Monkey:
    """Kills servers at random moments (each restarted at once) and restarts PostgreSQL once."""

    def __init__(self, fleet: Fleet, cluster: ThrowawayCluster, plan: ChaosPlan) -> None:
        self.fleet = fleet
        self.cluster = cluster
        self.plan = plan
        self.rng = random.Random(plan.seed + 1)
        self.kills = 0
        self.database_restarts = 0
        self.log: list[str] = []

    def run(self, stop: threading.Event) -> None:
        """Spread the kills over the run; restart the database half-way."""
        start = time.monotonic()
        gap = self.plan.seconds * 0.85 / self.plan.kills
        database_restart_at = self.plan.kills // 2
        for number in range(self.plan.kills):
            moment = start + self.plan.seconds * 0.05 + (number + self.rng.random()) * gap
            if stop.wait(max(0.0, moment - time.monotonic())):
                return
            if number == database_restart_at:
                self._restart_database()
            victim = self.rng.randrange(len(self.fleet.servers))
            self.fleet.kill_and_restart(victim)
            self.kills += 1
            self.log.append(f"{_now()} killed server {victim}")

    def _restart_database(self) -> None:
        self.cluster.restart()
        self.database_restarts += 1
        self.log.append(f"{_now()} restarted PostgreSQL")


class LagSampler:
    """Measures, a few times a second, how long the oldest due deadline has waited."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.worst_s = 0.0
        self.worst_at = ""
        self.samples = 0

    def run(self, stop: threading.Event) -> None:
        """Sample until told to stop; unreachable moments (the restart) are skipped."""
        query = "SELECT extract(epoch FROM clock_timestamp()) * 1e6 - min(due_at) FROM deadlines"
        while not stop.wait(0.25):
            try:
                with psycopg.connect(self.url, connect_timeout=2) as conn:
                    lag = conn.execute(query).fetchone()
            except psycopg.Error:
                continue
            self.samples += 1
            if lag is not None and lag[0] is not None and float(lag[0]) / 1e6 > self.worst_s:
                self.worst_s = float(lag[0]) / 1e6
                self.worst_at = _now()


def _now() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3]


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll until the condition holds; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        time.sleep(0.25)


def in_background(target: Callable[[], None], name: str) -> threading.Thread:
    """Start a daemon thread."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def scalar(database_url: str, query: str) -> Any:
    """One value from the database (for the drain conditions)."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(query).fetchone()
    return None if row is None else row[0]


RUNS: list[dict[str, Any]] = []


def report(path: Path, figures: dict[str, Any]) -> None:
    """Write the run's figures as JSON next to its logs, and keep them for the session summary."""
    path.write_text(json.dumps(figures, indent=2, default=str))
    RUNS.append(figures)
