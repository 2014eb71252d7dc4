"""The server runs on httptools and uvloop; the pure-Python stack only when asked, to compare."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from dispatchd import cli
from dispatchd.api import app as app_module
from dispatchd.cli import build_app
from dispatchd.service import bootstrap as bootstrap_module


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """What ``dispatchd serve`` hands uvicorn (the application itself is not built)."""
    handed: dict[str, Any] = {}
    monkeypatch.setenv("DISPATCHD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DISPATCHD_ADMIN_PASSWORD", "a-long-enough-password")
    monkeypatch.setattr(
        app_module,
        "create_app",
        lambda settings: SimpleNamespace(state=SimpleNamespace(dispatcher=None)),
    )
    monkeypatch.setattr(bootstrap_module, "bootstrap", lambda dispatcher: None)
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: handed.update(options))
    return handed


def test_serve_parses_http_with_httptools_on_uvloop_by_default(served: dict[str, Any]) -> None:
    result = CliRunner().invoke(build_app([]), ["serve"])

    assert result.exit_code == 0, result.output
    assert (served["http"], served["loop"]) == ("httptools", "uvloop")


def test_serve_runs_the_pure_python_stack_when_asked_so_the_two_can_be_measured(
    served: dict[str, Any],
) -> None:
    result = CliRunner().invoke(build_app([]), ["serve", "--http", "h11", "--loop", "asyncio"])

    assert result.exit_code == 0, result.output
    assert (served["http"], served["loop"]) == ("h11", "asyncio")


def test_an_unknown_parser_is_refused_with_the_choices_before_anything_starts(
    served: dict[str, Any], tmp_path: Path
) -> None:
    result = CliRunner().invoke(build_app([]), ["serve", "--http", "h2"], env={"COLUMNS": "200"})

    assert result.exit_code == 2
    assert "Invalid value for --http: one of httptools, h11" in result.output
    assert served == {}
    assert list(tmp_path.iterdir()) == []
