"""A refused request changes nothing: not a row, not a byte in the data directory.

Hypothesis picks a route from a table and one way to get it wrong — the wrong actor (another
installer, a manager of another zone, an installer on a manager's route, no token), a bad body
(junk, a field of the wrong type, an unknown field, nesting past the limit, a NUL, bytes that
are not JSON, the wrong media type) or the wrong state (starting an order that is only offered,
completing one not in progress, resuming one not suspended, ...). The answer must be a 4xx
problem+json, and a dump of every table (row by row, on both stores) and the path and sha256
of every file in the data directory must be the same after as before.

The seeded city is shared by the examples of a test: that is the property itself — if a
refusal left anything behind, the next comparison would not even start from the same state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as run_settings
from hypothesis import strategies as st
from sqlalchemy import MetaData, create_engine, select

from dispatchd.config import Settings
from dispatchd.service.clock import FakeClock
from tests.conftest import ADMIN_PASSWORD, DB_FILE
from tests.helpers import CENTRE, IN_CENTRE, login
from tests.photos import jpeg
from tests.seeded_city import (
    INSTALLER_PASSWORD,
    MANAGER,
    MANAGER_PASSWORD,
    P256DH,
    PUSH_AUTH,
    SeededCity,
    seed_city,
)

# The database file is compared through the dump of its tables, not by its bytes: SQLite may
# rewrite pages (and its journal) on a read-only transaction without any row changing.
DATABASE_FILES = (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm", f"{DB_FILE}-journal")

EXAMPLES = 120
Body = dict[str, Any]
Make = Callable[["World"], Body]


@dataclass(frozen=True)
class Route:
    """One state-changing route, the actor who may use it, and a body it would accept."""

    method: str
    path: str
    owner: str
    body: Make | None = None
    text_fields: tuple[str, ...] = ()
    wrong_actors: tuple[str, ...] = ("nobody",)
    multipart: bool = False


@dataclass
class World:
    """The seeded city, who can log in, and the clock its bodies' times are taken from."""

    city: SeededCity
    clock: FakeClock
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def path(self, template: str) -> str:
        ids = {
            "centre": self.city.centre,
            "east": self.city.east,
            "installer": self.city.installer,
            "other_installer": self.city.other_installer,
            "subscription": self.city.subscriptions[0],
            "alert": self.city.alerts[0],
        }
        ids |= {f"order_{name}": value for name, value in self.city.orders.items()}
        ids |= {f"offer_{name}": value for name, value in self.city.offers.items()}
        return template.format(**ids)

    def later(self, hours: float) -> str:
        return (self.clock.now() + timedelta(hours=hours)).isoformat()


def _window(world: World) -> Body:
    return {"window_start": world.later(1), "window_end": world.later(2)}


def _zone(world: World) -> Body:
    return {"name": "Another centre", "boundary": CENTRE}


def _order(world: World) -> Body:
    return {
        "customer": {"name": "Han Meimei", "phone": "+8613912345679"},
        "address": "2 Nanjing Road",
        "location": IN_CENTRE,
        "product": "Water heater",
    }


def _installer_patch(world: World) -> Body:
    return {"name": "Renamed", "capacity": 5}


def _policy(world: World) -> Body:
    return {
        "escalation": [{"after_s": 60, "action": "remind"}, {"after_s": 120, "action": "revoke"}]
    }


def _subscription(world: World) -> Body:
    return {
        "endpoint": "https://fcm.googleapis.com/fcm/send/another",
        "keys": {"p256dh": P256DH, "auth": PUSH_AUTH},
    }


def _fixed(body: Body) -> Make:
    return lambda _world: dict(body)


INSTALLER = ("nobody", "other_installer", "manager")
MANAGED = ("nobody", "installer", "east_manager")
SHARED = ("nobody", "other_installer", "east_manager")

# Requests the right actor would have had accepted, refused here for who sends them.
ROUTES = [
    Route("POST", "/api/v1/orders/{order_accepted}/start", "installer", wrong_actors=INSTALLER),
    Route(
        "POST", "/api/v1/orders/{order_accepted}/on-the-way", "installer", wrong_actors=INSTALLER
    ),
    Route(
        "PUT",
        "/api/v1/orders/{order_accepted}/appointment",
        "installer",
        _window,
        ("reason",),
        SHARED,
    ),
    Route(
        "POST",
        "/api/v1/orders/{order_accepted}/hand-back",
        "installer",
        _fixed({"reason": "van broke down"}),
        ("reason",),
        INSTALLER,
    ),
    Route(
        "POST",
        "/api/v1/orders/{order_accepted}/suspend",
        "installer",
        _fixed({"reason": "customer_absent", "note": "not home"}),
        ("note",),
        SHARED,
    ),
    Route("POST", "/api/v1/orders/{order_suspended}/resume", "installer", wrong_actors=SHARED),
    Route(
        "POST",
        "/api/v1/orders/{order_in_progress}/complete",
        "installer",
        _fixed({"notes": "all done"}),
        ("notes",),
        INSTALLER,
        multipart=True,
    ),
    Route("POST", "/api/v1/offers/{offer_offered}/accept", "installer", wrong_actors=INSTALLER),
    Route(
        "POST",
        "/api/v1/offers/{offer_offered}/decline",
        "installer",
        _fixed({"reason": "too far"}),
        ("reason",),
        INSTALLER,
    ),
    Route(
        "PUT", "/api/v1/me/duty", "installer", _fixed({"on_duty": False}), (), ("nobody", "manager")
    ),
    Route(
        "POST",
        "/api/v1/me/location",
        "installer",
        _fixed({"lat": 31.2, "lon": 121.5}),
        (),
        ("nobody", "manager"),
    ),
    Route(
        "POST",
        "/api/v1/me/push-subscriptions",
        "installer",
        _subscription,
        ("endpoint",),
        ("nobody", "manager"),
    ),
    Route(
        "DELETE",
        "/api/v1/me/push-subscriptions/{subscription}",
        "installer",
        wrong_actors=INSTALLER,
    ),
    Route(
        "POST",
        "/api/v1/orders/{order_accepted}/cancel",
        "manager",
        _fixed({"reason": "customer moved"}),
        ("reason",),
        MANAGED,
    ),
    Route(
        "POST",
        "/api/v1/orders/{order_offered}/assign",
        "manager",
        lambda world: {"installer_id": world.city.installer},
        (),
        MANAGED,
    ),
    Route(
        "POST", "/api/v1/orders", "manager", _order, ("address", "product"), ("nobody", "installer")
    ),
    Route(
        "PATCH",
        "/api/v1/zones/{centre}",
        "manager",
        _fixed({"name": "Renamed"}),
        ("name",),
        MANAGED,
    ),
    Route("POST", "/api/v1/zones", "admin", _zone, ("name",), ("nobody", "installer", "manager")),
    Route(
        "PATCH", "/api/v1/installers/{installer}", "manager", _installer_patch, ("name",), MANAGED
    ),
    Route(
        "POST",
        "/api/v1/installers/{installer}/ledger",
        "manager",
        _fixed({"amount": 500, "reason": "adjustment", "note": "fuel"}),
        ("note",),
        MANAGED,
    ),
    Route("PUT", "/api/v1/policy", "admin", _policy, (), ("nobody", "installer", "manager")),
    Route(
        "POST",
        "/api/v1/users",
        "admin",
        _fixed({"username": "new-manager", "password": "new-manager-pw", "role": "manager"}),
        ("username",),
        ("nobody", "installer", "manager"),
    ),
    Route("POST", "/api/v1/alerts/{alert}/ack", "manager", wrong_actors=MANAGED),
]
EAST_TWINS = {
    "/api/v1/orders/{order_accepted}/appointment": "/api/v1/orders/{order_east}/appointment",
    "/api/v1/orders/{order_accepted}/suspend": "/api/v1/orders/{order_east}/suspend",
    "/api/v1/orders/{order_suspended}/resume": "/api/v1/orders/{order_east}/resume",
    "/api/v1/orders/{order_accepted}/cancel": "/api/v1/orders/{order_east}/cancel",
    "/api/v1/orders/{order_offered}/assign": "/api/v1/orders/{order_east}/assign",
    "/api/v1/installers/{installer}/ledger": "/api/v1/installers/{other_installer}/ledger",
    "/api/v1/zones/{centre}": "/api/v1/zones/{east}",
    "/api/v1/installers/{installer}": "/api/v1/installers/{other_installer}",
}

# Requests refused for the state of what they name, sent by the actor who holds it.
WRONG_STATE = [
    ("POST", "/api/v1/orders/{order_offered}/start", "installer", None),
    ("POST", "/api/v1/orders/{order_completed}/start", "installer", None),
    ("POST", "/api/v1/orders/{order_suspended}/start", "installer", None),
    ("POST", "/api/v1/orders/{order_accepted}/complete", "installer", "photo"),
    ("POST", "/api/v1/orders/{order_suspended}/complete", "installer", "photo"),
    ("POST", "/api/v1/orders/{order_completed}/complete", "installer", "photo"),
    ("POST", "/api/v1/orders/{order_accepted}/resume", "installer", None),
    ("POST", "/api/v1/orders/{order_in_progress}/resume", "installer", None),
    ("POST", "/api/v1/orders/{order_in_progress}/hand-back", "installer", {"reason": "hard"}),
    ("POST", "/api/v1/orders/{order_completed}/suspend", "installer", {"reason": "other"}),
    ("POST", "/api/v1/orders/{order_cancelled}/on-the-way", "installer", None),
    ("POST", "/api/v1/offers/{offer_accepted}/accept", "installer", None),
    ("POST", "/api/v1/offers/{offer_cancelled}/decline", "installer", {}),
    ("POST", "/api/v1/orders/{order_completed}/cancel", "manager", {"reason": "too late"}),
    ("POST", "/api/v1/orders/{order_cancelled}/cancel", "manager", {"reason": "twice"}),
    ("DELETE", "/api/v1/zones/{centre}", "admin", None),
    (
        "POST",
        "/api/v1/users",
        "admin",
        {"username": MANAGER, "password": "x" * 12, "role": "admin"},
    ),
]

JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
WRONG_TYPES = st.sampled_from([{"junk": [1, "two"]}, [[{"x": None}]], {"": {}}])
BAD_BODIES = st.sampled_from(
    ["junk", "wrong_type", "extra_field", "too_deep", "nul", "not_json", "wrong_media_type"]
)


@dataclass(frozen=True)
class Attempt:
    """One request to send, and why it must be refused."""

    why: str
    method: str
    path: str
    actor: str
    json: Any = None
    content: bytes | None = None
    content_type: str | None = None
    form: Body | None = None
    photo: bool = False


def _deep(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


@st.composite
def _wrong_actor(draw: st.DrawFn, world: World) -> Attempt:
    route = draw(st.sampled_from(ROUTES))
    actor = draw(st.sampled_from(route.wrong_actors))
    path = route.path
    if actor == "east_manager":
        path = EAST_TWINS.get(path, path)
        actor = "manager"
    body = route.body(world) if route.body else None
    if route.multipart:
        return Attempt("wrong actor", route.method, path, actor, form=body, photo=True)
    return Attempt("wrong actor", route.method, path, actor, json=body)


@st.composite
def _bad_body(draw: st.DrawFn, world: World) -> Attempt:
    route = draw(st.sampled_from([r for r in ROUTES if r.body is not None and not r.multipart]))
    assert route.body is not None
    body = route.body(world)
    kind = draw(BAD_BODIES)
    attempt = Attempt(f"bad body: {kind}", route.method, route.path, route.owner)
    if kind == "junk":
        junk = draw(JUNK.filter(lambda value: not isinstance(value, dict) or bool(value)))
        if isinstance(junk, dict):
            junk = {f"not-a-field-{name}": value for name, value in junk.items()}
        return _with(attempt, json=junk)
    if kind == "wrong_type":
        name = draw(st.sampled_from(sorted(body)))
        return _with(attempt, json=body | {name: draw(WRONG_TYPES)})
    if kind == "extra_field":
        return _with(attempt, json=body | {"surprise": draw(JUNK)})
    if kind == "too_deep":
        name = draw(st.sampled_from(sorted(body)))
        return _with(attempt, json=body | {name: _deep(draw(st.integers(40, 300)))})
    if kind == "nul" and route.text_fields:
        name = draw(st.sampled_from(route.text_fields))
        text = draw(st.text(min_size=0, max_size=5))
        return _with(attempt, json=body | {name: f"{text}\x00{text}"})
    if kind == "wrong_media_type":
        payload = json.dumps(body).encode()
        media = draw(st.sampled_from(["text/plain", "application/x-www-form-urlencoded"]))
        return _with(attempt, content=payload, content_type=media)
    garbage = draw(st.sampled_from([b"{", b"[1,", b"\xff\xfe{}", b"{'a': 1}", b"nul"]))
    return _with(attempt, content=garbage, content_type="application/json")


def _with(attempt: Attempt, **changes: Any) -> Attempt:
    return Attempt(**(attempt.__dict__ | changes))


@st.composite
def _wrong_state(draw: st.DrawFn, world: World) -> Attempt:
    method, path, actor, body = draw(st.sampled_from(WRONG_STATE))
    if body == "photo":
        return Attempt("wrong state", method, path, actor, photo=True)
    return Attempt("wrong state", method, path, actor, json=body)


def _attempts(world: World) -> st.SearchStrategy[Attempt]:
    return st.one_of(_wrong_actor(world), _bad_body(world), _wrong_state(world))


def _send(client: TestClient, world: World, attempt: Attempt) -> Any:
    headers = dict(world.headers.get(attempt.actor, {}))
    kwargs: dict[str, Any] = {}
    if attempt.photo:
        kwargs["files"] = {"photo": ("work.jpg", jpeg(), "image/jpeg")}
        kwargs["data"] = attempt.form or {}
    elif attempt.content is not None:
        headers["Content-Type"] = attempt.content_type or "application/json"
        kwargs["content"] = attempt.content
    elif attempt.json is not None:
        kwargs["json"] = attempt.json
    return client.request(attempt.method, world.path(attempt.path), headers=headers, **kwargs)


class Tables:
    """Every row of every table, in a stable order: the whole database, as data.

    The tables are found by reflection, so a table added later is compared too. Rows are
    sorted by their text form (PostgreSQL cannot order by a JSON column).
    """

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url)
        self._meta = MetaData()
        with self._engine.connect() as conn:
            self._meta.reflect(bind=conn)
        assert {"orders", "ledger_entries", "alembic_version"} <= set(self._meta.tables)

    def dump(self) -> dict[str, list[str]]:
        with self._engine.connect() as conn:
            return {
                table.name: sorted(repr(tuple(row)) for row in conn.execute(select(table)))
                for table in self._meta.sorted_tables
            }

    def close(self) -> None:
        self._engine.dispose()


def _files(data_dir: Path) -> dict[str, str]:
    """Path and sha256 of every file in the data directory but the SQLite database's own."""
    return {
        str(path.relative_to(data_dir)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(data_dir.rglob("*"))
        if path.is_file() and path.name not in DATABASE_FILES
    }


@pytest.fixture
def world(client: TestClient, clock: FakeClock) -> World:
    city = seed_city(client)  # type: ignore[arg-type]
    found = World(city, clock)
    found.headers = {
        "nobody": {},
        "admin": login(client, "admin", ADMIN_PASSWORD),
        "manager": login(client, MANAGER, MANAGER_PASSWORD),
        "installer": login(client, "installer1", INSTALLER_PASSWORD),
        "other_installer": login(client, "installer2", INSTALLER_PASSWORD),
    }
    return found


def test_a_refused_request_changes_no_row_and_no_file(
    client: TestClient, world: World, settings: Settings
) -> None:
    tables = Tables(settings.resolved_database_url())
    data_dir = settings.data_dir

    @given(attempt=_attempts(world))
    @run_settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def refused(attempt: Attempt) -> None:
        before_rows, before_files = tables.dump(), _files(data_dir)
        response = _send(client, world, attempt)
        assert 400 <= response.status_code < 500, (attempt, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json"), attempt
        assert response.json()["status"] == response.status_code
        after_rows = tables.dump()
        changed = {
            name: (before_rows.get(name), rows)
            for name, rows in after_rows.items()
            if before_rows.get(name) != rows
        }
        assert changed == {}, (attempt, response.status_code)
        assert _files(data_dir) == before_files, attempt

    try:
        refused()
    finally:
        tables.close()
