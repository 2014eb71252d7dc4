"""``docs/benchmarks.png``: the run's headline figures in one picture.

matplotlib comes with the benchmarks project; in an environment that lacks it (installed with
``--no-deps``, say) the benchmark still writes its tables, and says how to get the plot.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from dispatchd_bench.results import Results, escalation_workloads

INSTALL_HINT = "matplotlib is not installed; install it with `.venv/bin/pip install -e benchmarks/`"
DISPATCHD_COLOUR = "#d62728"
PEER_COLOUR = "#7f7f7f"


def write_plot(results: Results, path: Path) -> str | None:
    """Draw the figures into ``path``; returns why not, if it could not."""
    if importlib.util.find_spec("matplotlib") is None:
        return INSTALL_HINT
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        _escalation_rate,
        _escalation_lateness,
        _http,
        _nearest,
        _locations,
        _sse,
    ]
    figure, axes = plt.subplots(2, 3, figsize=(18, 10))
    for panel, ax in zip(panels, axes.flat, strict=True):
        if not panel(results, ax):
            ax.set_axis_off()
            ax.text(0.5, 0.5, "not measured in this run", ha="center", va="center")
    run = results.meta.get("run", {})
    machine = results.meta.get("machine", {})
    figure.suptitle(
        f"dispatchd bench ({run.get('mode')}) · {run.get('finished_at')} · "
        f"{machine.get('cpu')}, {machine.get('cores')} cores"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return None


def _colour(system: str) -> str:
    return DISPATCHD_COLOUR if system.startswith(("dispatchd", "index")) else PEER_COLOUR


def _label(system: str) -> str:
    return {
        "dispatchd_sqlite": "dispatchd\nSQLite",
        "dispatchd_postgresql": "dispatchd\nPostgreSQL",
        "bare_sqlite": "bare loop\n(ref.)",
    }.get(system, system.replace("_", "\n"))


Series = list[tuple[str, list[tuple[str, float]]]]
HATCHES = ("", "//", "..")


def _escalation_series(results: Results, metric: str) -> Series:
    series = []
    for key in escalation_workloads(results):
        bars = [
            (system, float(f[metric]))
            for system, f in results.workloads[key].items()
            if "skipped" not in f and f.get(metric) is not None
        ]
        series.append((f"{int(key.split('_')[1]):,} due/s", bars))
    return series


def _grouped_bars(ax: Any, series: Series, by_series: bool = False) -> bool:
    """Bars per system, one per series side by side; colour by system (or by series)."""
    from matplotlib.patches import Patch

    systems: list[str] = []
    for _, bars in series:
        systems += [s for s, _ in bars if s not in systems]
    if not systems:
        return False
    width = 0.8 / max(1, len(series))
    handles = []
    for n, (name, bars) in enumerate(series):
        values = dict(bars)
        present = [i for i, s in enumerate(systems) if s in values]
        colour = f"C{n}" if by_series else None
        ax.bar(
            [i + n * width for i in present],
            [values[systems[i]] for i in present],
            width,
            color=[colour or _colour(systems[i]) for i in present],
            hatch=None if by_series else HATCHES[n % len(HATCHES)],
            edgecolor="white",
        )
        handles.append(
            Patch(
                facecolor=colour or "#bbbbbb",
                hatch=None if by_series else HATCHES[n % len(HATCHES)],
                edgecolor="white",
                label=name,
            )
        )
    ax.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(systems))])
    ax.set_xticklabels([_label(s) for s in systems], fontsize=8)
    ax.legend(handles=handles, fontsize=8)
    return True


def _escalation_rate(results: Results, ax: Any) -> bool:
    ax.set_title("Escalation: steps (tasks) fired per second")
    return _grouped_bars(ax, _escalation_series(results, "fired_per_s"))


def _escalation_lateness(results: Results, ax: Any) -> bool:
    ax.set_title("Escalation: p99 lateness, seconds, log scale (lower is better)")
    ax.set_yscale("log")
    drawn = _grouped_bars(ax, _escalation_series(results, "lateness_p99_s"))
    ax.set_ylim(bottom=0.001)
    return drawn


def _http(results: Results, ax: Any) -> bool:
    systems = {
        s: f for s, f in results.workloads.get("http_orders", {}).items() if "skipped" not in f
    }
    if not systems:
        return False
    ax.set_title("HTTP: requests per second")
    series = [
        (
            part.replace("_", " "),
            [(s, float(f[f"{part}_requests_per_s"])) for s, f in systems.items()],
        )
        for part in ("trivial_endpoint", "create_order", "accept_offer")
    ]
    return _grouped_bars(ax, series, by_series=True)


def _nearest(results: Results, ax: Any) -> bool:
    keys = sorted(
        (k for k in results.workloads if k.startswith("nearest_")),
        key=lambda k: int(k.split("_")[1]),
    )
    if not keys:
        return False
    ax.set_title("Nearest installer: p99 µs, log scale (lower is better)")
    ax.set_yscale("log")
    series = [
        (
            f"{int(key.split('_')[1]):,} on duty",
            [
                (s, float(f["p99_us"]))
                for s, f in results.workloads[key].items()
                if "skipped" not in f
            ],
        )
        for key in keys
    ]
    drawn = _grouped_bars(ax, series)
    ax.set_ylim(bottom=1)
    return drawn


def _locations(results: Results, ax: Any) -> bool:
    systems = {
        s: f for s, f in results.workloads.get("location_updates", {}).items() if "skipped" not in f
    }
    if not systems:
        return False
    ax.set_title("Location updates per second")
    names = list(systems)
    ax.bar(range(len(names)), [systems[s]["updates_per_s"] for s in names], color=DISPATCHD_COLOUR)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels([_label(s) for s in names], fontsize=7)
    return True


def _sse(results: Results, ax: Any) -> bool:
    keys = sorted(
        (k for k in results.workloads if k.startswith("sse_")),
        key=lambda k: int(k.split("_")[1]),
    )
    points = [
        (int(k.split("_")[1]), results.workloads[k].get("dispatchd_sqlite", {})) for k in keys
    ]
    points = [(n, f) for n, f in points if f and "skipped" not in f]
    if not points:
        return False
    ax.set_title("Event streams: delivery latency, ms")
    labels = [f"{n:,} streams" for n, _ in points]
    xs = range(len(points))
    ax.bar([x - 0.2 for x in xs], [f["latency_p50_ms"] for _, f in points], 0.4, label="p50")
    ax.bar([x + 0.2 for x in xs], [f["latency_p99_ms"] for _, f in points], 0.4, label="p99")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels)
    ax.legend(fontsize=8)
    return True
