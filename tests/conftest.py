"""Shared fixtures: a fake clock, a fresh migrated database per test, an API client.

Each test gets its own SQLite file copied from a template migrated once per session, so the
schema is real and the cost of a fresh database is a file copy. Every test that takes the
``settings`` fixture runs twice, on SQLite and on PostgreSQL (a fresh database cloned from a
migrated template, see ``tests/postgres.py``); ``-m "not postgresql"`` runs SQLite alone.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
from argon2 import PasswordHasher

from dispatchd.config import Settings
from dispatchd.logs import configure_logging
from dispatchd.service import passwords
from dispatchd.service.clock import FakeClock
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.store.database import Database, sqlite_url
from dispatchd.store.migrate import upgrade
from tests.postgres import DatabaseSupply, PgServer, find_or_start_server, unique_name

ADMIN_PASSWORD = "admin-password-for-tests"

configure_logging()
hypothesis.settings.register_profile("deterministic", derandomize=True, database=None)
hypothesis.settings.load_profile("deterministic")
DB_FILE = "dispatchd.sqlite3"

#: The suite hashes and checks passwords thousands of times (every installer it creates, every
#: login); at the product's cost that was a fifth of the in-process run. Tests in this process
#: use the same argon2id code path at the smallest cost; ``real_password_cost`` restores the
#: product's hasher for the tests that check it, and servers started by tests never see this.
LIGHT_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PRODUCT_HASHER = passwords._hasher


@pytest.fixture(scope="session", autouse=True)
def light_password_hashing() -> Iterator[None]:
    """Every in-process test hashes passwords at argon2id's smallest cost (see above)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", LIGHT_HASHER)
        patch.setattr(passwords, "_DUMMY_HASH", LIGHT_HASHER.hash("an unused password"))
        yield


@pytest.fixture
def real_password_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    """The product's own argon2id parameters, for a test that checks them."""
    monkeypatch.setattr(passwords, "_hasher", PRODUCT_HASHER)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file with every migration applied, copied by each test."""
    directory = tmp_path_factory.mktemp("template")
    database = Database(sqlite_url(directory))
    upgrade(database)
    database.dispose()
    return directory / DB_FILE


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--chaos-full``: the full chaos run and the 1,000-round accept race."""
    parser.addoption(
        "--chaos-full",
        action="store_true",
        help="run the chaos test and the accept race at full size (minutes, not seconds)",
    )


_postgres_story: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which PostgreSQL the session used, so a skipped or borrowed one is noticed."""
    for story in _postgres_story:
        terminalreporter.write_line(f"PostgreSQL for tests: {story}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server for the session: the local one, or a throwaway cluster."""
    server, cluster, story = find_or_start_server()
    if server is None:
        pytest.skip(f"PostgreSQL tests SKIPPED — {story}")
    server.drop_leftovers()
    _postgres_story.append(story)
    yield server
    if cluster is not None:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> Iterator[DatabaseSupply]:
    """Clones of a database with every migration applied, one for each test."""
    name = unique_name("template")
    database = Database(pg_server.create_database(name))
    upgrade(database)
    database.dispose()
    supply = DatabaseSupply(pg_server, name)
    yield supply
    supply.close()
    pg_server.drop_database(name)


@pytest.fixture
def postgres_url(pg_server: PgServer, pg_template: DatabaseSupply) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test, dropped afterwards."""
    name = pg_template.take()
    yield pg_server.url(name)
    pg_template.give_back(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def store(request: pytest.FixtureRequest) -> str:
    """Which store the test runs on; every test using ``settings`` runs on both."""
    return str(request.param)


@pytest.fixture
def database_url(store: str, request: pytest.FixtureRequest) -> str | None:
    """The test's own PostgreSQL database, or None for SQLite in the data directory."""
    if store == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return None


@pytest.fixture
def clock() -> FakeClock:
    """Time that moves only when the test says so."""
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path, template_db: Path, database_url: str | None) -> Settings:
    """Settings for a test: own data directory with a fresh database, no background engine."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if database_url is None:
        shutil.copy(template_db, data_dir / DB_FILE)
    return Settings(
        environment="test",
        data_dir=data_dir,
        database_url=database_url,
        admin_password=ADMIN_PASSWORD,
        run_engine=False,
        position_save_s=0,
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
    instance.close()
    database.dispose()


pytest_plugins = ["tests.api_fixtures"]
