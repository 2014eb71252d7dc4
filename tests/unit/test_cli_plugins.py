"""Commands other projects add to ``dispatchd``, and what a server install says without them."""

from __future__ import annotations

import ast
from importlib.metadata import EntryPoint
from pathlib import Path

import typer
from typer.testing import CliRunner

import dispatchd
from dispatchd.cli import COMMANDS_GROUP, build_app

SERVER_PACKAGE = Path(dispatchd.__file__).parent


def greet(name: str = typer.Option("world", "--name", help="whom to greet")) -> None:
    """Say hello: a plugin command as another project would register it."""
    typer.echo(f"hello {name}")


def _plugin(name: str, target: str) -> EntryPoint:
    return EntryPoint(name=name, value=target, group=COMMANDS_GROUP)


def test_without_the_benchmarks_dispatchd_bench_says_in_one_line_how_to_install_them() -> None:
    result = CliRunner().invoke(build_app([]), ["bench", "--quick", "--out", "/tmp/bench"])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "dispatchd bench: not installed; install the benchmarks from the dispatchd checkout "
        "with `.venv/bin/pip install -e benchmarks/`"
    ]


def test_the_help_of_a_server_install_lists_bench_with_how_to_install_it() -> None:
    result = CliRunner().invoke(build_app([]), ["--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    assert "Measure dispatchd beside its peers. Not installed:" in result.stdout
    assert "pip install -e benchmarks/" in result.stdout


def test_a_command_registered_in_the_entry_point_group_runs_with_its_options() -> None:
    app = build_app([_plugin("greet", f"{__name__}:greet")])

    result = CliRunner().invoke(app, ["greet", "--name", "Li Wei"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "hello Li Wei\n"


def test_a_plugin_that_cannot_be_loaded_answers_in_one_line_and_serve_still_works() -> None:
    app = build_app([_plugin("bench", "dispatchd_missing_module:bench")])

    broken = CliRunner().invoke(app, ["bench", "--quick"])
    serve_help = CliRunner().invoke(app, ["serve", "--help"])

    assert broken.exit_code == 1
    [line] = broken.stderr.splitlines()
    assert line.startswith("dispatchd bench: could not be loaded (ModuleNotFoundError(")
    assert line.endswith("with `.venv/bin/pip install -e benchmarks/`")
    assert serve_help.exit_code == 0
    assert "--port" in serve_help.stdout


def test_a_plugin_cannot_replace_one_of_dispatchds_own_commands() -> None:
    app = build_app([_plugin("migrate", f"{__name__}:greet")])

    result = CliRunner().invoke(app, ["migrate", "--help"])

    assert result.exit_code == 0
    assert "newest schema" in result.stdout


def test_the_server_package_imports_neither_the_benchmarks_nor_their_libraries() -> None:
    kept_out = {"dispatchd_bench", "numpy", "scipy", "matplotlib"}
    found = []
    for path in sorted(SERVER_PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in kept_out]

    assert found == []
