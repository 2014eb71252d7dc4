"""The installed benchmarks project gives ``dispatchd`` its ``bench`` command."""

from __future__ import annotations

from importlib.metadata import entry_points

from typer.testing import CliRunner

from dispatchd.cli import COMMANDS_GROUP, build_app


def test_the_installed_benchmarks_register_dispatchd_bench() -> None:
    [plugin] = [point for point in entry_points(group=COMMANDS_GROUP) if point.name == "bench"]

    assert plugin.value == "dispatchd_bench.cli:bench"
    assert plugin.dist is not None
    assert plugin.dist.name == "dispatchd-bench"


def test_dispatchd_bench_takes_the_benchmarks_options() -> None:
    app = build_app(entry_points(group=COMMANDS_GROUP))

    result = CliRunner().invoke(app, ["bench", "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    for option in ("--quick", "--only", "--out", "--no-peers", "--profile"):
        assert option in result.stdout


def test_dispatchd_bench_refuses_an_unknown_workload_before_measuring_anything() -> None:
    app = build_app(entry_points(group=COMMANDS_GROUP))

    result = CliRunner().invoke(app, ["bench", "--only", "escalation,teleport"])

    assert result.exit_code == 2
    assert "unknown workload teleport" in result.output
