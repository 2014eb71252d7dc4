"""PostgreSQL for the tests: the local server when one answers, else a cluster of our own.

Every test that runs on PostgreSQL gets a fresh database cloned from a template migrated once
per session (``CREATE DATABASE x TEMPLATE t`` copies a few files), dropped after the test.
Database names carry the pid of the pytest process, so several sessions can share one server
and a session killed half-way leaves names the next session recognises and drops.

Where nothing answers at ``127.0.0.1:5432`` (or at ``DISPATCHD_TEST_POSTGRES_URL``), a
throwaway cluster is made with ``initdb`` and started with ``pg_ctl`` on a free port — as the
``postgres`` user when the tests run as root, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from tests.live import free_port

PG_BIN_DIRS = ("/usr/local/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
SERVER_ENV = "DISPATCHD_TEST_POSTGRES_URL"
PREFIX = "dispatchd_t"
_counter = itertools.count(1)


@dataclass(frozen=True)
class PgServer:
    """A PostgreSQL server the tests may create and drop databases on."""

    base_url: str

    def url(self, database: str) -> str:
        """The URL of one database on this server."""
        return f"{self.base_url}/{database}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=3)

    def answers(self) -> bool:
        """Whether the server accepts a connection right now."""
        try:
            with self._admin() as conn:
                conn.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create a database (a copy of ``template`` if given); returns its URL."""
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self._admin() as conn:
            conn.execute(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting whoever is still on it."""
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def drop_leftovers(self) -> None:
        """Drop test databases of pytest sessions that are no longer running."""
        with self._admin() as conn:
            names = [
                str(row[0])
                for row in conn.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s", (PREFIX + "%",)
                )
            ]
        for name in names:
            found = re.match(rf"{PREFIX}(\d+)_", name)
            if found and not _alive(int(found.group(1))):
                self.drop_database(name)


class DatabaseSupply:
    """Fresh clones of a template, made ahead on a background thread and dropped behind.

    Cloning and dropping cost about half a second each on a busy machine; done while the
    previous test runs, they cost a test nearly nothing.
    """

    def __init__(self, server: PgServer, template: str, ahead: int = 2) -> None:
        self._server = server
        self._template = template
        self._ready: queue.Queue[str | BaseException] = queue.Queue(maxsize=ahead)
        self._to_drop: queue.Queue[str | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._make, name="pg-clone", daemon=True),
            threading.Thread(target=self._drop, name="pg-drop", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def take(self) -> str:
        """The name of a fresh database nobody has used."""
        found = self._ready.get(timeout=120)
        if isinstance(found, BaseException):
            raise found
        return found

    def give_back(self, name: str) -> None:
        """A test is done with this database: drop it in the background."""
        self._to_drop.put(name)

    def close(self) -> None:
        """Stop cloning and drop every database made, used or not."""
        self._stop.set()
        self._threads[0].join(120)
        while not self._ready.empty():
            found = self._ready.get_nowait()
            if isinstance(found, str):
                self._to_drop.put(found)
        self._to_drop.put(None)
        self._threads[1].join(120)

    def _make(self) -> None:
        while not self._stop.is_set():
            try:
                name = unique_name("test")
                self._server.create_database(name, template=self._template)
                found: str | BaseException = name
            except psycopg.Error as exc:
                found = exc
            while not self._stop.is_set():
                try:
                    self._ready.put(found, timeout=0.2)
                    break
                except queue.Full:
                    continue
            else:
                if isinstance(found, str):
                    self._to_drop.put(found)

    def _drop(self) -> None:
        while (name := self._to_drop.get()) is not None:
            with contextlib.suppress(psycopg.Error):
                self._server.drop_database(name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def unique_name(kind: str) -> str:
    """A database name no other session uses: prefix, pid, kind and a counter."""
    return f"{PREFIX}{os.getpid()}_{kind}_{next(_counter)}"


def pg_tool(name: str) -> str:
    """The path of a PostgreSQL program (initdb, pg_ctl)."""
    for directory in PG_BIN_DIRS:
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed")
    return found


class ThrowawayCluster:
    """A PostgreSQL cluster of its own, in a temporary directory, on a free port.

    Nothing else uses it, so a test may restart or stop it at will.
    """

    def __init__(self, settings: dict[str, str] | None = None) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="dispatchd-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.port = free_port()
        self.settings = {"fsync": "off", "max_connections": "200", **(settings or {})}
        self.server = PgServer(f"postgresql://postgres@127.0.0.1:{self.port}")

    def _run(self, *command: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*prefix, *command], check=True, capture_output=True, timeout=timeout, text=True
        )

    def start(self) -> ThrowawayCluster:
        """Create the cluster (first time) and start it; returns self when it answers."""
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        if not self.data.exists():
            self._run(
                pg_tool("initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            )
        options = " ".join(
            [f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-k {self.directory}"]
            + [f"-c {name}={value}" for name, value in self.settings.items()]
        )
        self._run(
            pg_tool("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "start",
        )
        return self

    def restart(self) -> None:
        """Stop the server (fast: connections are cut) and start it again."""
        self._run(pg_tool("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.start()

    def stop(self) -> None:
        """Stop the server and delete the cluster."""
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            self._run(pg_tool("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


def find_or_start_server() -> tuple[PgServer | None, ThrowawayCluster | None, str]:
    """A server for the tests, the cluster started for them (if any), and what happened."""
    server = PgServer(os.environ.get(SERVER_ENV, DEFAULT_SERVER).rstrip("/"))
    if server.answers():
        return server, None, f"using {server.base_url}"
    try:
        cluster = ThrowawayCluster().start()
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or exc
        return None, None, f"no PostgreSQL at {server.base_url} and initdb/pg_ctl failed: {detail}"
    return cluster.server, cluster, f"started a throwaway cluster on port {cluster.port}"
