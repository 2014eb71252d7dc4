"""The request path: light work stays on the event loop, operations are built once per process.

FastAPI runs each plain ``def`` dependency on a worker thread: a hand-off and a return per
dependency per request, which on this machine cost more than the work of the trivial
endpoint itself. A dependency that only reads the request or the application's state is
``async def``; only those that touch the database may be plain functions.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from dispatchd.api import routes
from dispatchd.api.app import API_DEPENDENCIES, APP_DEPENDENCIES, create_app
from dispatchd.api.auth import current_actor
from dispatchd.api.routes.health import healthz
from dispatchd.config import Settings
from dispatchd.service.clock import FakeClock
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import City
from tests.outbound import StubResolver

#: Dependencies that read the database, and so run on a worker thread like the routes do.
READS_THE_DATABASE: set[Callable[..., Any]] = {current_actor}


def _routes() -> Iterator[APIRoute]:
    """Every operation of every router module, as the module declares it."""
    for info in pkgutil.iter_modules(routes.__path__):
        module = importlib.import_module(f"{routes.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, APIRouter):
                yield from (r for r in value.routes if isinstance(r, APIRoute))


def _dependencies(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependencies(sub)


def _on_threads(calls: Iterator[Callable[..., Any]]) -> set[str]:
    return {
        f"{call.__module__}.{call.__qualname__}"
        for call in calls
        if not inspect.iscoroutinefunction(call)
        and not inspect.isclass(call)
        and call not in READS_THE_DATABASE
    }


def test_every_dependency_of_an_operation_that_does_no_io_runs_on_the_event_loop() -> None:
    operations = list(_routes())

    assert len(operations) > 50
    assert (
        _on_threads(call for route in operations for call in _dependencies(route.dependant))
        == set()
    )


def test_the_dependencies_every_request_runs_are_on_the_event_loop() -> None:
    calls = [depends.dependency for depends in (*APP_DEPENDENCIES, *API_DEPENDENCIES)]

    assert calls
    assert _on_threads(call for call in calls if call is not None) == set()


def test_the_trivial_endpoint_answers_on_the_event_loop() -> None:
    assert inspect.iscoroutinefunction(healthz)


def test_two_applications_of_one_process_share_their_operations_but_never_their_state(
    tmp_path: Path,
) -> None:
    apps = [
        create_app(
            Settings(
                environment="test",
                data_dir=tmp_path / name,
                admin_password=ADMIN_PASSWORD,
                run_engine=False,
            ),
            FakeClock(),
            StubResolver(),
        )
        for name in ("north", "south")
    ]
    with TestClient(apps[0]) as north, TestClient(apps[1]) as south:
        City(north).zone("North only")
        south_city = City(south)
        south_zones = south.get("/api/v1/zones", headers=south_city.admin).json()["items"]
        north_zones = north.get("/api/v1/zones", headers=City(north).admin).json()["items"]

    assert [zone["name"] for zone in north_zones] == ["North only"]
    assert south_zones == []
