"""Run several peers at several rates, one run_peer.py process at a time; print a Markdown table.

Runs are sequential on purpose: on a 2-core machine two peers measured at once would
each measure the other. Each run's JSON is kept in --out-dir.

Usage (from the repository root):
    .venv-peers/bin/python benchmarks/peers/run_all.py --rates 2000 10000 --duration 5 \\
        --out-dir /tmp/peers
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from run_peer import PEER_MODULES

RUNNER = Path(__file__).resolve().parent / "run_peer.py"
ORDER = ["bare_sqlite", "pgqueuer", "celery", "huey", "apscheduler", "procrastinate"]


def run_one(
    system: str, rate: float, duration: float, out: Path, extra: list[str]
) -> dict[str, Any]:
    """Run one peer in a subprocess and return its JSON (with "error" if it failed)."""
    cmd = [
        sys.executable,
        str(RUNNER),
        "--system",
        system,
        "--rate",
        str(rate),
        "--duration",
        str(duration),
        "--out",
        str(out),
        *extra,
    ]
    subprocess.run(cmd, check=False)
    try:
        result: dict[str, Any] = json.loads(out.read_text())
    except (OSError, ValueError) as exc:
        result = {"system": system, "rate": rate, "error": f"no result: {exc}"}
    return result


def fmt(value: Any, digits: int = 3) -> str:
    """A table cell."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def table(results: list[dict[str, Any]]) -> str:
    """Markdown table of the fields the comparison is about."""
    head = (
        "| system | version | rate | fired/scheduled | dup | fired/s | p50 s | p99 s | max s "
        "| kept up | load / fsync/s | note |"
    )
    lines = [head, "|" + "---|" * 12]
    for r in results:
        host = r.get("host_before") or {}
        note = r.get("error") or r.get("warning") or ""
        if not note and r.get("lateness_lower_bound"):
            note = "not all fired: lateness is a lower bound"
        cells = [
            r.get("system"),
            r.get("version") or "–",
            fmt(r.get("rate")),
            f"{r.get('fired', '–')}/{r.get('scheduled', '–')}",
            r.get("duplicates", "–"),
            fmt(r.get("fired_per_s")),
            fmt(r.get("lateness_p50_s")),
            fmt(r.get("lateness_p99_s")),
            fmt(r.get("lateness_max_s")),
            fmt(r.get("kept_up")),
            f"{fmt(host.get('loadavg_1m'), 2)} / {fmt(host.get('fsync_commits_per_s'), 0)}",
            note,
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main() -> int:
    """Run the matrix and print the table; exit 1 if any run failed."""
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--systems", nargs="+", default=ORDER, choices=sorted(PEER_MODULES))
    p.add_argument("--rates", nargs="+", type=float, default=[2000.0, 10000.0])
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--out-dir", type=Path, required=True)
    p.add_argument("--grace", type=float, default=60.0)
    args = p.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for rate in args.rates:
        for system in args.systems:
            out = args.out_dir / f"{system}_{int(rate)}.json"
            results.append(run_one(system, rate, args.duration, out, ["--grace", str(args.grace)]))
            print(table(results[-1:]).splitlines()[-1], flush=True)
    print()
    print(table(results))
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
