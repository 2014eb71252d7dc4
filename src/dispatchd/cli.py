"""The ``dispatchd`` command: serve the API with its engine, migrate a database.

Other installed projects add subcommands through the ``dispatchd.commands`` entry-point group
(the benchmarks add ``dispatchd bench``), so the server package never imports them and a server
install carries none of their dependencies.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import Any, NamedTuple

import typer
import uvicorn
from rich.console import Console
from rich.panel import Panel

from dispatchd.config import Settings

HELP = "dispatchd: get every installation job accepted, done and proven."
COMMANDS_GROUP = "dispatchd.commands"


class Elsewhere(NamedTuple):
    """A subcommand the checkout ships in a project of its own, and how to install it."""

    summary: str
    install: str


ELSEWHERE = {
    "bench": Elsewhere(
        "Measure dispatchd beside its peers.",
        "install the benchmarks from the dispatchd checkout with "
        "`.venv/bin/pip install -e benchmarks/`",
    ),
}
#: A stand-in command accepts whatever options the real one would, to answer with its hint.
_ANY_ARGUMENTS = {"allow_extra_args": True, "ignore_unknown_options": True}
console = Console()


#: uvicorn's HTTP parsers and event loops: httptools and uvloop (C) serve, h11 and the standard
#: asyncio loop (pure Python) are there to measure what the faster ones are worth.
HTTP_PARSERS = ("httptools", "h11")
EVENT_LOOPS = ("uvloop", "asyncio")


def _default_loop() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def serve(
    host: str = typer.Option(None, help="address to listen on (default 127.0.0.1)"),
    port: int = typer.Option(None, help="port to listen on (default 8000)"),
    demo: bool = typer.Option(
        False, "--demo", help="seed a demo city (own database) and simulate its installers"
    ),
    http: str = typer.Option(
        "httptools",
        help="HTTP parser; h11 only to measure the difference",
    ),
    loop: str = typer.Option(
        None,
        help="event loop (default uvloop where installed); asyncio to measure the difference",
    ),
) -> None:
    """Run the API, the deadline engine and the event stream in one process."""
    if http not in HTTP_PARSERS:
        raise typer.BadParameter(f"one of {', '.join(HTTP_PARSERS)}", param_hint="--http")
    if loop is not None and loop not in EVENT_LOOPS:
        raise typer.BadParameter(f"one of {', '.join(EVENT_LOOPS)}", param_hint="--loop")
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = Settings().model_copy(update=overrides)
    from dispatchd.api.app import create_app
    from dispatchd.service.bootstrap import bootstrap

    if demo:
        from dispatchd import demo as demo_city

        settings = demo_city.demo_settings(settings)
    application = create_app(settings)
    generated = bootstrap(application.state.dispatcher)
    if demo:
        _start_demo(application.state.dispatcher, settings)
    else:
        _print_banner(settings, generated)
    # Client addresses are decided by DISPATCHD_TRUSTED_PROXIES alone (api/client_address.py);
    # uvicorn's own handling would believe X-Forwarded-For from any local peer.
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        log_level="info",
        proxy_headers=False,
        http=http,
        loop=loop or _default_loop(),
    )


def _start_demo(dispatcher: Any, settings: Settings) -> None:
    """Seed the demo city and let its simulated installers loose once the server listens."""
    from dispatchd import demo as demo_city
    from dispatchd.notify.sms import sms_file_path

    city = demo_city.seed_city(dispatcher)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host  # noqa: S104
    assert settings.sms_url is not None
    sms_file = sms_file_path(settings.sms_url)
    demo_city.Simulation(city, f"http://{host}:{settings.port}", sms_file).start()
    banner = demo_city.banner(city, settings.resolved_public_url())
    console.print(
        Panel.fit(f"{banner}\ndatabase: {settings.resolved_database_url()}", title="demo")
    )


def migrate() -> None:
    """Bring the configured database to the newest schema and exit."""
    from dispatchd.store.database import Database
    from dispatchd.store.migrate import upgrade

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(Database(settings.resolved_database_url()))
    console.print("database is up to date")


def _print_banner(settings: Settings, generated_password: str | None) -> None:
    url = settings.resolved_public_url()
    if generated_password:
        login = f"user [bold]admin[/], password [bold]{generated_password}[/] (shown only once)"
    elif os.environ.get("DISPATCHD_ADMIN_PASSWORD"):
        login = "user [bold]admin[/], password from DISPATCHD_ADMIN_PASSWORD"
    else:
        login = "user [bold]admin[/] with the password printed at first start"
    console.print(
        Panel.fit(
            f"dispatchd on [bold]{url}[/]\n"
            f"API docs: {url}/docs\n"
            f"log in: {login}\n"
            f"database: {settings.resolved_database_url()}",
            title="dispatchd",
        )
    )


def build_app(plugins: Iterable[EntryPoint]) -> typer.Typer:
    """The command line: dispatchd's own commands, then each plugin command under its name.

    A plugin is a function written like a Typer command; it cannot replace one of dispatchd's
    own. One that cannot be loaded, or a command of the checkout that is not installed, still
    answers under its name with one line saying what to install, so a broken or missing plugin
    never stops ``serve`` or ``migrate``.
    """
    app = typer.Typer(help=HELP)
    app.command()(serve)
    app.command()(migrate)
    taken = {"serve", "migrate"}
    for plugin in plugins:
        if plugin.name in taken:
            continue
        taken.add(plugin.name)
        try:
            command = plugin.load()
        except Exception as exc:
            known = ELSEWHERE.get(plugin.name)
            fix = known.install if known else f"reinstall {_distribution(plugin)}"
            _add_stand_in(app, plugin.name, f"could not be loaded ({exc!r}); {fix}")
        else:
            app.command(name=plugin.name)(command)
    for name, known in ELSEWHERE.items():
        if name not in taken:
            problem = f"not installed; {known.install}"
            _add_stand_in(app, name, problem, f"{known.summary} Not installed: {known.install}.")
    return app


def _distribution(plugin: EntryPoint) -> str:
    return plugin.dist.name if plugin.dist is not None else plugin.module


def _add_stand_in(app: typer.Typer, name: str, problem: str, summary: str | None = None) -> None:
    """Register ``name`` as a command that only says, on one line, why it cannot run."""

    def stand_in() -> None:
        typer.echo(f"dispatchd {name}: {problem}", err=True)
        raise typer.Exit(1)

    app.command(name=name, help=summary or problem, context_settings=_ANY_ARGUMENTS)(stand_in)


def main() -> None:
    """Entry point of the console script."""
    build_app(entry_points(group=COMMANDS_GROUP))()
