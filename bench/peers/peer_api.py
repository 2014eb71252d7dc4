"""The contract between the harness (run_peer.py) and one peer runner module, plus shared service helpers.

Each peer module subclasses `Peer`; the harness drives every peer through the same
phases (prepare, start worker, warm up, enqueue, wait, read results, clean up), so a
difference in the numbers comes from the peer, not from how it was driven.
"""

from __future__ import annotations

import abc
import os
import platform
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import ClassVar

from workload import ResultsStore, Task

PEERS_DIR = Path(__file__).resolve().parent

#: Environment variables through which the harness configures the peer modules, in the
#: producer (this process) and in the worker processes alike.
ENV_DSN = "BENCH_PEERS_DSN"
ENV_RESULTS_DSN = "BENCH_PEERS_RESULTS_DSN"
ENV_RESULTS_SQLITE = "BENCH_PEERS_RESULTS_SQLITE"
ENV_WORKDIR = "BENCH_PEERS_WORKDIR"
ENV_REDIS_URL = "BENCH_PEERS_REDIS_URL"
ENV_REDIS_PREFIX = "BENCH_PEERS_REDIS_PREFIX"


@dataclass
class RunContext:
    """Where one run keeps its state: a scratch directory and connection settings for the services."""

    system: str
    workdir: Path
    pg_base: str
    redis_url: str

    def pg_dsn(self, dbname: str) -> str:
        """A libpq conninfo string for `dbname` on the benchmark's PostgreSQL server."""
        return f"{self.pg_base} dbname={dbname}"

    @property
    def python(self) -> str:
        """The interpreter of the peers' virtualenv (the one running the harness)."""
        return sys.executable

    def service_env(self) -> dict[str, str]:
        """The settings every peer module reads from its environment, in producer and worker alike."""
        return {
            ENV_DSN: self.pg_dsn(database_name(self.system)),
            ENV_RESULTS_DSN: self.pg_dsn(database_name(self.system)),
            ENV_RESULTS_SQLITE: str(self.workdir / "results.sqlite"),
            ENV_WORKDIR: str(self.workdir),
            ENV_REDIS_URL: self.redis_url,
            ENV_REDIS_PREFIX: f"bench_peers_{self.system}:",
        }

    def worker_env(self) -> dict[str, str]:
        """The environment of worker processes: ours, the run's settings, and the peers dir on the path."""
        env = dict(os.environ)
        env.update(self.service_env())
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PEERS_DIR), env.get("PYTHONPATH", "")) if p
        )
        env["PYTHONUNBUFFERED"] = "1"
        env["_TYPER_STANDARD_TRACEBACK"] = "1"
        return env


class Peer(abc.ABC):
    """One system under test.

    `worker_first` says whether its worker runs while the producer enqueues (as in a
    deployment), or has to be started after the enqueue because the system's worker
    only reads the schedule when it starts.
    """

    system: ClassVar[str]
    distribution: ClassVar[str | None] = None
    worker_first: ClassVar[bool] = True

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def version(self) -> str:
        """The installed version of the peer's distribution (the Python version for the bare loop)."""
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
        """Enqueue `tasks` as delayed tasks, each due at its `due_at`, from this (producer) process."""

    def after_enqueue(self) -> None:
        """Anything the peer's docs recommend once a large batch has been enqueued."""

    def close_producer(self) -> None:
        """Close the producer's connections; the harness calls it after the enqueue and on teardown."""

    def cleanup(self) -> None:
        """Remove what `prepare` created outside the run's work directory."""


# ---------------------------------------------------------------------------------------
# PostgreSQL helpers
# ---------------------------------------------------------------------------------------


def recreate_database(ctx: RunContext, dbname: str) -> str:
    """Drop (if left over) and create `dbname`; returns its conninfo."""
    import psycopg

    with psycopg.connect(ctx.pg_dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    return ctx.pg_dsn(dbname)


def drop_database(ctx: RunContext, dbname: str) -> None:
    """Drop `dbname`, disconnecting whatever still uses it."""
    import psycopg

    with psycopg.connect(ctx.pg_dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def env(name: str) -> str:
    """A setting the harness passed to peer code (see `RunContext.service_env`)."""
    try:
        return os.environ[name]
    except KeyError:
        raise RuntimeError(f"{name} is not set: peer modules run under run_peer.py") from None


def database_name(system: str) -> str:
    """The scratch database of one peer; fixed so that a crashed run's leftovers get replaced next time."""
    return f"bench_peers_{system}"


def pg_uri(conninfo: str) -> str:
    """The conninfo as a postgresql:// URI, for clients (asyncpg, pgqueuer's CLI) that only take URIs."""
    from urllib.parse import quote

    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(conninfo)
    user = quote(str(params.get("user", "postgres")))
    password = f":{quote(str(params['password']))}" if "password" in params else ""
    host = params.get("host", "127.0.0.1")
    port = params.get("port", 5432)
    return f"postgresql://{user}{password}@{host}:{port}/{params.get('dbname', 'postgres')}"


def chunked(items: Sequence[Task], size: int) -> Iterator[Sequence[Task]]:
    """Consecutive slices of at most `size` tasks, for peers with a batch enqueue."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
