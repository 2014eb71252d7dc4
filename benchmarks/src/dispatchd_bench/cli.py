"""``dispatchd bench``, registered in the ``dispatchd.commands`` entry-point group.

The server package does not know this code: its command line finds the function below through
the entry point this project declares, so the benchmarks and their dependencies stay out of a
server install. Importing this module costs only Typer and Rich; the workloads load on use.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console()


def bench(
    quick: bool = typer.Option(False, "--quick", help="small sizes, under two minutes (CI)"),
    only: list[str] = typer.Option(  # noqa: B008
        [],
        "--only",
        help="run only these workloads (repeat or comma-separate): "
        "escalation, http, nearest, locations, sse, memory, events",
    ),
    out: Path = typer.Option(Path("docs"), "--out", help="where to write the report files"),  # noqa: B008
    peers: bool = typer.Option(True, "--peers/--no-peers", help="measure the peers too"),
    profile: Path = typer.Option(  # noqa: B008
        None, "--profile", help="also sample each measured phase with py-spy into this folder"
    ),
) -> None:
    """Measure dispatchd beside its peers; write benchmarks.md, .json and .png."""
    from dispatchd_bench.plan import FULL, QUICK, WORKLOADS
    from dispatchd_bench.runner import run_bench

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
