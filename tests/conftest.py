"""Shared fixtures: a fake clock, a fresh migrated database per test, an API client.

Each test gets its own SQLite file copied from a template migrated once per session, so the
schema is real and the cost of a fresh database is a file copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dispatchd.config import Settings
from dispatchd.logs import configure_logging
from dispatchd.service.clock import FakeClock
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.store.database import Database, sqlite_url
from dispatchd.store.migrate import upgrade

ADMIN_PASSWORD = "admin-password-for-tests"

configure_logging()
DB_FILE = "dispatchd.sqlite3"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file with every migration applied, copied by each test."""
    directory = tmp_path_factory.mktemp("template")
    database = Database(sqlite_url(directory))
    upgrade(database)
    database.dispose()
    return directory / DB_FILE


@pytest.fixture
def clock() -> FakeClock:
    """Time that moves only when the test says so."""
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path, template_db: Path) -> Settings:
    """Settings for a test: own data directory with a fresh database, no background engine."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(template_db, data_dir / DB_FILE)
    return Settings(
        environment="test",
        data_dir=data_dir,
        admin_password=ADMIN_PASSWORD,
        run_engine=False,
        public_url="http://dispatchd.test",
        sms_url=f"file://{data_dir / 'sms.jsonl'}",
    )


@pytest.fixture
def dispatcher(settings: Settings, clock: FakeClock) -> Iterator[Dispatcher]:
    """The service façade on the test's database and fake clock, bootstrapped."""
    from dispatchd.service.bootstrap import bootstrap

    database = Database(settings.resolved_database_url())
    instance = Dispatcher(database, clock, settings)
    bootstrap(instance)
    yield instance
    database.dispose()


pytest_plugins = ["tests.api_fixtures"]
