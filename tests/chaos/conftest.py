"""Shows the chaos run's figures at the end of the session, passed or failed."""

from __future__ import annotations

import json

import pytest

from tests.chaos.harness import RUNS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print each chaos run's figures (orders, kills, restarts, invariants, violations)."""
    for figures in RUNS:
        terminalreporter.section("chaos run")
        shown = {name: value for name, value in figures.items() if name != "monkey"}
        terminalreporter.write_line(json.dumps(shown, indent=1, default=str))
