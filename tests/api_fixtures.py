"""Fixtures that start the FastAPI app in-process against the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dispatchd.api.app import create_app
from dispatchd.config import Settings
from dispatchd.engine.deadlines import DeadlineEngine
from dispatchd.service.clock import FakeClock
from tests.helpers import City
from tests.outbound import StubResolver


@pytest.fixture
def app(settings: Settings, clock: FakeClock) -> FastAPI:
    """The application on the fake clock, without its background engine thread; push hosts
    are looked up in a table, never in DNS."""
    return create_app(settings, clock, StubResolver())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client talking to the app in-process (startup and shutdown included)."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def engine(app: FastAPI) -> DeadlineEngine:
    """The app's deadline engine, to be run by hand after moving the clock."""
    engine: DeadlineEngine = app.state.engine
    return engine


@pytest.fixture
def city(client: TestClient) -> City:
    """A deployment with an admin logged in, ready to build zones and installers."""
    return City(client)
