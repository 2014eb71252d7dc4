"""The ``dispatchd`` command: serve the API with its engine, migrate a database."""

from __future__ import annotations

import os

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
) -> None:
    """Run the API, the deadline engine and the event stream in one process."""
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = Settings().model_copy(update=overrides)
    from dispatchd.api.app import create_app
    from dispatchd.service.bootstrap import bootstrap

    application = create_app(settings)
    generated = bootstrap(application.state.dispatcher)
    _print_banner(settings, generated)
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")


@app.command()
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


def main() -> None:
    """Entry point of the console script."""
    app()
