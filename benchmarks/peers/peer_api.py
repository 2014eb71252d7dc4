"""The contract between the harness (run_peer.py) and a peer runner module, plus service helpers.

Each peer module subclasses `Peer`; the harness drives every peer through the same
phases (prepare, start worker, warm up, enqueue, wait, read results, clean up), so a
difference in the numbers comes from the peer, not from how it was driven.
"""

from __future__ import annotations

import abc
import os
import platform
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import ClassVar

from workload import ResultsStore, Task

PEERS_DIR = Path(__file__).resolve().parent

#: Environment variables through which the harness configures the peer modules, in the
#: producer (the harness process) and in the worker processes alike.
ENV_DSN = "BENCH_PEERS_DSN"
ENV_RESULTS_DSN = "BENCH_PEERS_RESULTS_DSN"
ENV_RESULTS_SQLITE = "BENCH_PEERS_RESULTS_SQLITE"
ENV_WORKDIR = "BENCH_PEERS_WORKDIR"
ENV_REDIS_URL = "BENCH_PEERS_REDIS_URL"
ENV_REDIS_PREFIX = "BENCH_PEERS_REDIS_PREFIX"


RUN_PREFIX = "bench_peers_"


def run_is_stale(name: str) -> bool:
    """Whether a `bench_peers_<system>_<pid>` database or key prefix belongs to a dead run."""
    match = re.fullmatch(rf"{RUN_PREFIX}[a-z_]+_(\d+)", name)
    if match is None:
        return False
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass
class RunContext:
    """Where one run keeps its state: a scratch directory and the services' addresses."""

    system: str
    workdir: Path
    pg_base: str
    redis_url: str
    run_id: int = field(default_factory=os.getpid)

    @property
    def run_name(self) -> str:
        """This run's database name and Redis key prefix; unique, so runs never share them."""
        return f"{RUN_PREFIX}{self.system}_{self.run_id}"

    def pg_dsn(self, dbname: str) -> str:
        """A libpq conninfo string for `dbname` on the benchmark's PostgreSQL server."""
        return f"{self.pg_base} dbname={dbname}"

    @property
    def python(self) -> str:
        """The interpreter of the peers' virtualenv (the one running the harness)."""
        return sys.executable

    def service_env(self) -> dict[str, str]:
        """The settings that peer modules read from their environment."""
        dsn = self.pg_dsn(self.run_name)
        return {
            ENV_DSN: dsn,
            ENV_RESULTS_DSN: dsn,
            ENV_RESULTS_SQLITE: str(self.workdir / "results.sqlite"),
            ENV_WORKDIR: str(self.workdir),
            ENV_REDIS_URL: self.redis_url,
            ENV_REDIS_PREFIX: f"{self.run_name}:",
        }

    def worker_env(self) -> dict[str, str]:
        """A worker's environment: ours, the run's settings, and the peers dir on the path."""
        worker = dict(os.environ)
        worker.update(self.service_env())
        worker["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PEERS_DIR), worker.get("PYTHONPATH", "")) if p
        )
        worker["PYTHONUNBUFFERED"] = "1"
        return worker


class Peer(abc.ABC):
    """One system under test.

    `worker_first` says whether its worker runs while the producer enqueues (as in a
    deployment), or has to start after the enqueue because the system's worker reads
    its schedule only when it starts.
    """

    system: ClassVar[str]
    distribution: ClassVar[str | None] = None
    worker_first: ClassVar[bool] = True

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def version(self) -> str:
        """The peer's installed version (the Python version for the bare loop)."""
        if self.distribution is None:
            return f"python {platform.python_version()}"
        return metadata.version(self.distribution)

    @abc.abstractmethod
    def settings(self) -> str:
        """Human-readable description of how the peer is configured."""

    @abc.abstractmethod
    def prepare(self) -> ResultsStore:
        """Create the peer's storage (database, schema, files) and an empty results table."""

    @abc.abstractmethod
    def worker_argv(self) -> list[str]:
        """The command that runs the worker, as the peer's docs run it."""

    @abc.abstractmethod
    def enqueue(self, tasks: Sequence[Task]) -> None:
        """Enqueue `tasks` from this (the producer's) process, each due at its `due_at`."""

    def after_enqueue(self) -> None:
        """What the peer needs once a large batch has been enqueued (nothing by default)."""
        return

    def close_producer(self) -> None:
        """Close the producer's connections; called after the enqueue and on teardown."""
        return

    def cleanup(self) -> None:
        """Remove what `prepare` created outside the run's work directory."""
        return


def env(name: str) -> str:
    """A setting the harness passed to peer code (see `RunContext.service_env`)."""
    try:
        return os.environ[name]
    except KeyError:
        raise RuntimeError(f"{name} is not set: peer modules run under run_peer.py") from None


def chunked(items: Sequence[Task], size: int) -> Iterator[Sequence[Task]]:
    """Consecutive slices of at most `size` tasks, for peers with a batch enqueue."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


# ---------------------------------------------------------------------------------------
# PostgreSQL helpers
# ---------------------------------------------------------------------------------------


def create_database(ctx: RunContext) -> str:
    """Create this run's database, after dropping those that dead runs left; returns its DSN."""
    import psycopg

    with psycopg.connect(ctx.pg_dsn("postgres"), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{RUN_PREFIX}%",)
        ).fetchall()
        for (name,) in rows:
            if run_is_stale(name):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{ctx.run_name}"')
    return ctx.pg_dsn(ctx.run_name)


def drop_database(ctx: RunContext) -> None:
    """Drop this run's database, disconnecting whatever still uses it."""
    import psycopg

    with psycopg.connect(ctx.pg_dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{ctx.run_name}" WITH (FORCE)')


def pg_uri(conninfo: str) -> str:
    """The conninfo as a postgresql:// URI, for clients that take only URIs (asyncpg)."""
    from urllib.parse import quote

    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(conninfo)
    user = quote(str(params.get("user", "postgres")))
    password = f":{quote(str(params['password']))}" if "password" in params else ""
    host = params.get("host", "127.0.0.1")
    port = params.get("port", 5432)
    return f"postgresql://{user}{password}@{host}:{port}/{params.get('dbname', 'postgres')}"
