"""Writes a run's ``benchmarks.json``, ``benchmarks.png`` and ``benchmarks.md`` side by side."""

from __future__ import annotations

import json
from pathlib import Path

from dispatchd_bench.markdown import render
from dispatchd_bench.plot import write_plot
from dispatchd_bench.results import Results, add_ratios

JSON_NAME = "benchmarks.json"
MARKDOWN_NAME = "benchmarks.md"
PLOT_NAME = "benchmarks.png"


def write_report(results: Results, out_dir: Path) -> tuple[list[Path], str | None]:
    """Write the files into ``out_dir``; returns them and why the plot is missing, if it is."""
    out_dir.mkdir(parents=True, exist_ok=True)
    add_ratios(results)
    json_path = out_dir / JSON_NAME
    json_path.write_text(json.dumps(results.as_json(), indent=2, default=str) + "\n")
    plot_path = out_dir / PLOT_NAME
    problem = write_plot(results, plot_path)
    markdown_path = out_dir / MARKDOWN_NAME
    markdown_path.write_text(render(results, None if problem else PLOT_NAME, problem))
    return [markdown_path, json_path] + ([] if problem else [plot_path]), problem
