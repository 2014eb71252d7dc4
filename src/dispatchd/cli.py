"""The ``dispatchd`` command: serve the API with its engine, migrate a database, benchmark."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
import uvicorn
from rich.console import Console
from rich.panel import Panel

from dispatchd.config import Settings

app = typer.Typer(help="dispatchd: get every installation job accepted, done and proven.")
console = Console()


@app.command()
def serve(
    host: str = typer.Option(None, help="address to listen on (default 127.0.0.1)"),
    port: int = typer.Option(None, help="port to listen on (default 8000)"),
    demo: bool = typer.Option(
        False, "--demo", help="seed a demo city (own database) and simulate its installers"
    ),
) -> None:
    """Run the API, the deadline engine and the event stream in one process."""
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
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")


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


@app.command()
def migrate() -> None:
    """Bring the configured database to the newest schema and exit."""
    from dispatchd.store.database import Database
    from dispatchd.store.migrate import upgrade

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(Database(settings.resolved_database_url()))
    console.print("database is up to date")


@app.command()
def bench(
    quick: bool = typer.Option(False, "--quick", help="small sizes, under two minutes (CI)"),
    only: list[str] = typer.Option(  # noqa: B008
        [],
        "--only",
        help="run only these workloads (repeat or comma-separate): "
        "escalation, http, nearest, locations, sse, memory",
    ),
    out: Path = typer.Option(Path("docs"), "--out", help="where to write the report files"),  # noqa: B008
    peers: bool = typer.Option(True, "--peers/--no-peers", help="measure the peers too"),
    profile: Path = typer.Option(  # noqa: B008
        None, "--profile", help="also sample each measured phase with py-spy into this folder"
    ),
) -> None:
    """Measure dispatchd beside its peers; write benchmarks.md, .json and .png."""
    from dispatchd.benchmarks.plan import FULL, QUICK, WORKLOADS
    from dispatchd.benchmarks.runner import run_bench

    chosen = [name for item in only for name in item.split(",") if name] or list(WORKLOADS)
    unknown = sorted(set(chosen) - set(WORKLOADS))
    if unknown:
        raise typer.BadParameter(
            f"unknown workload {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}",
            param_hint="--only",
        )
    outcome = run_bench(QUICK if quick else FULL, chosen, out, peers, console, profile)
    for path in outcome.written:
        console.print(f"wrote {path}")
    if outcome.plot_problem:
        console.print(f"[yellow]no plot: {outcome.plot_problem}[/]")
    failures = outcome.dispatchd_failures()
    for failure in failures:
        console.print(f"[red]not measured: {failure}[/]")
    if failures:
        raise typer.Exit(1)


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


def main() -> None:
    """Entry point of the console script."""
    app()
