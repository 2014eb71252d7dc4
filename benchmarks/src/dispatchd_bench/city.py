"""A benchmark city written straight into the database: a zone, on-duty installers, logins.

Workloads that need thousands of installers' and dispatchers' bearer tokens cannot open them
through the API in reasonable time: each login verifies an argon2 hash on purpose. So the
city is seeded in bulk before the server starts, one password hash shared by every account
and each token stored the way a login stores it (its SHA-256), which makes the tokens exactly
as valid as issued ones.
"""

from __future__ import annotations

import random
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dispatchd.config import Settings
from dispatchd.domain.geo import Point
from dispatchd.domain.ids import new_id
from dispatchd.service.actors import Actor, Role
from dispatchd.service.bootstrap import bootstrap
from dispatchd.service.clock import SystemClock
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.handlers.accounts import token_hash
from dispatchd.service.passwords import hash_password
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store import tables as t
from dispatchd.store.database import Database

ADMIN_PASSWORD = "bench-admin-password"
CHUNK = 2_000
#: The city's square: one zone, a degree on each side (about 110 km × 95 km).
SOUTH, WEST, SIDE = 31.0, 121.0, 1.0
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [
            [WEST, SOUTH],
            [WEST + SIDE, SOUTH],
            [WEST + SIDE, SOUTH + SIDE],
            [WEST, SOUTH + SIDE],
            [WEST, SOUTH],
        ]
    ],
}


@dataclass(frozen=True)
class Login:
    """A seeded account with a valid bearer token."""

    user_id: str
    token: str
    installer_id: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        """The request header that authenticates as this account."""
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def actor(self) -> Actor:
        """The actor the API would resolve this token to."""
        role = Role.INSTALLER if self.installer_id else Role.MANAGER
        return Actor(self.user_id, role, self.installer_id)


@dataclass(frozen=True)
class City:
    """What was seeded: the zone, the installers' logins and the console users' logins."""

    zone_id: str
    installers: list[Login]
    consoles: list[Login]


def bench_settings(data_dir: Path, database_url: str | None) -> Settings:
    """Settings for a benchmark database (the same the benchmark server is started with)."""
    return Settings(
        environment="test",
        data_dir=data_dir,
        database_url=database_url,
        admin_password=ADMIN_PASSWORD,
    )


@contextmanager
def dispatcher_for(data_dir: Path, database_url: str | None = None) -> Iterator[Dispatcher]:
    """A bootstrapped dispatcher on the benchmark database, closed afterwards."""
    settings = bench_settings(data_dir, database_url)
    database = Database(settings.resolved_database_url())
    dispatcher = Dispatcher(database, SystemClock(), settings)
    try:
        bootstrap(dispatcher)
        yield dispatcher
    finally:
        database.dispose()


def new_data_dir(label: str) -> Path:
    """A fresh scratch directory for one workload."""
    return Path(tempfile.mkdtemp(prefix=f"dispatchd-bench-{label}-"))


def random_point(rng: random.Random) -> Point:
    """A point uniformly inside the city's square."""
    return Point(SOUTH + rng.random() * SIDE, WEST + rng.random() * SIDE)


def insert_city_zone(uow: UnitOfWork, now: datetime) -> str:
    """Insert the zone that covers the city's square; returns its id."""
    zone_id = new_id("zon")
    uow.conn.execute(
        t.zones.insert().values(
            id=zone_id,
            name="Bench",
            boundary=SQUARE,
            revision=1,
            created_at=now,
            updated_at=now,
        )
    )
    return zone_id


def seed_city(
    dispatcher: Dispatcher, installers: int, consoles: int, seed: int = 7, capacity: int = 1_000
) -> City:
    """Insert a zone, on-duty installers at random places, and logged-in accounts for all."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    expires = now + timedelta(days=1)
    password_hash = hash_password(secrets.token_urlsafe(16))
    with bench_writes(dispatcher) as uow:
        zone_id = insert_city_zone(uow, now)
    people = [_installer_row(rng, now, capacity) for _ in range(installers)]
    installer_logins = [
        Login(new_id("usr"), secrets.token_urlsafe(32), row["id"]) for row in people
    ]
    console_logins = [Login(new_id("usr"), secrets.token_urlsafe(32)) for _ in range(consoles)]
    for start in range(0, installers, CHUNK):
        rows = people[start : start + CHUNK]
        with bench_writes(dispatcher) as uow:
            uow.conn.execute(t.installers.insert(), rows)
            uow.conn.execute(
                t.installer_zones.insert(),
                [{"installer_id": row["id"], "zone_id": zone_id} for row in rows],
            )
    logins = installer_logins + console_logins
    for start in range(0, len(logins), CHUNK):
        chunk = logins[start : start + CHUNK]
        with bench_writes(dispatcher) as uow:
            uow.conn.execute(
                t.users.insert(),
                [_user_row(login, password_hash, now) for login in chunk],
            )
            uow.conn.execute(
                t.auth_tokens.insert(),
                [
                    {
                        "token_hash": token_hash(login.token),
                        "user_id": login.user_id,
                        "created_at": now,
                        "expires_at": expires,
                    }
                    for login in chunk
                ],
            )
    return City(zone_id, installer_logins, console_logins)


def _installer_row(rng: random.Random, now: datetime, capacity: int) -> dict[str, Any]:
    installer_id = new_id("ins")
    where = random_point(rng)
    return {
        "id": installer_id,
        "name": installer_id,
        "phone": "+8613800138000",
        "capacity": capacity,
        "skills": [],
        "on_duty": True,
        "lat": where.lat,
        "lon": where.lon,
        "accuracy_m": 10.0,
        "location_at": now,
        "created_at": now,
        "changed_at": now,
    }


def _user_row(login: Login, password_hash: str, now: datetime) -> dict[str, Any]:
    return {
        "id": login.user_id,
        "username": login.user_id,
        "password_hash": password_hash,
        "role": Role.INSTALLER.value if login.installer_id else Role.MANAGER.value,
        "installer_id": login.installer_id,
        "created_at": now,
    }


@contextmanager
def bench_writes(dispatcher: Dispatcher) -> Iterator[UnitOfWork]:
    """A raw write transaction for seeding a benchmark's data in bulk.

    Seeding a million rows through commands would measure the seeding; the workloads
    themselves always go through the dispatcher.
    """
    with dispatcher.database.write() as conn:
        yield UnitOfWork(conn)
