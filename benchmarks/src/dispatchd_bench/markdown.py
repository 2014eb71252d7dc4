"""``docs/benchmarks.md``: the run's figures as tables a reader can check against the JSON.

Nothing here is a measurement: every number comes from the run's results, and the targets are
dispatchd's speed goals on two cores. A figure a run did not take is shown as not measured, never
carried over.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dispatchd_bench.highest_rate import P99_BOUND_S
from dispatchd_bench.peers import PEER_SYSTEMS, REFERENCE_SYSTEM
from dispatchd_bench.results import (
    BACKLOG_KEY,
    DISPATCHD_STORES,
    EVENT_COMMITS_KEY,
    HIGHEST_RATE_KEY,
    Figures,
    Results,
    busy_machine,
    escalation_workloads,
)

STORE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
MISSING = "–"
#: The engine's goals on the backlog: steps per second by store, and CPU per step.
BACKLOG_GOALS = {"dispatchd_sqlite": 25_000.0, "dispatchd_postgresql": 12_000.0}
CPU_US_PER_STEP_GOAL = 40.0


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:,.{digits}f}"


def _seconds(value: Any) -> str:
    """A duration in the unit that reads best: ms under a second, else seconds."""
    if value is None:
        return MISSING
    if abs(value) < 1:
        return f"{value * 1000:,.0f} ms" if abs(value) >= 0.01 else f"{value * 1000:,.1f} ms"
    return f"{value:,.1f} s"


def _ms(value: Any) -> str:
    return _seconds(None if value is None else value / 1000)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _store(name: str) -> str:
    return STORE_NAMES.get(name.removeprefix("dispatchd_"), name)


def render(results: Results, plot: str | None, plot_problem: str | None) -> str:
    """The whole document."""
    sections: list[Callable[[Results], str | None]] = [
        _targets,
        _escalation,
        _http,
        _nearest,
        _locations,
        _sse,
        _memory,
        _event_commits,
        _peer_settings,
        _machine,
        _bounds,
        _profiles,
        _skipped,
    ]
    parts = [_header(results, plot, plot_problem)]
    parts += [text for section in sections if (text := section(results))]
    return "\n\n".join(parts) + "\n"


def _header(results: Results, plot: str | None, plot_problem: str | None) -> str:
    run = results.meta.get("run", {})
    lines = [
        "# Benchmarks",
        "",
        f"Written by `dispatchd bench` ({run.get('mode', '?')} run, workloads: "
        f"{', '.join(run.get('workloads', []))}), finished {run.get('finished_at', '?')} after "
        f"{_num((run.get('took_s') or 0) / 60, 1)} min. "
        + (
            "Every figure here was measured in this one run on the machine described below"
            if not results.meta.get("carried")
            else "The figures of those workloads were measured in this run on the machine "
            "described below; the others were carried over (see the note below)"
        )
        + "; each ratio compares dispatchd with the best peer measured in the same run on the "
        "same workload. `docs/benchmarks.json` holds the same figures (and more) as "
        "`{workload: {system: {metric: value}}}`.",
    ]
    for source in results.meta.get("carried") or []:
        lines += ["", _carried_note(source)]
    if busy_machine(results):
        before = results.meta.get("host_before", {})
        after = results.meta.get("host_after", {})
        lines += [
            "",
            "> **The machine was shared with other work during this run** (1-minute load "
            f"{before.get('loadavg_1m')} before and {after.get('loadavg_1m')} after, on "
            f"{results.meta.get('machine', {}).get('cores')} cores; SQLite fsync probe "
            f"{_num(before.get('fsync_commits_per_s'))} and "
            f"{_num(after.get('fsync_commits_per_s'))} commits/s). Every system, dispatchd and "
            "peers alike, ran slower and with longer tails than on a quiet machine.",
        ]
    if plot:
        lines += ["", f"![The figures of this run]({plot})"]
    elif plot_problem:
        lines += ["", f"(No plot: {plot_problem}.)"]
    return "\n".join(lines)


def _carried_note(source: Figures) -> str:
    before = source.get("host_before") or {}
    after = source.get("host_after") or {}
    return (
        f"> **Carried over from an earlier run:** {', '.join(source['workloads'])} — not "
        f"measured in this run; their sections are those of the run finished "
        f"{source.get('finished_at')} (git {source.get('git') or '?'}; 1-minute load "
        f"{before.get('loadavg_1m')} before and {after.get('loadavg_1m')} after, SQLite fsync "
        f"probe {_num(before.get('fsync_commits_per_s'))} and "
        f"{_num(after.get('fsync_commits_per_s'))} commits/s). Its targets below are judged "
        "on those figures; no ratio mixes the two runs."
    )


Judged = tuple[str, bool | None] | None


def _escalation_target(results: Results, store: str) -> Figures | None:
    key = "escalation_10000_per_s"
    return results.get(key, store)


def _sqlite_vs_peers(results: Results) -> Judged:
    """dispatchd on SQLite against the fastest peer, at every rate compared.

    At a due rate dispatchd keeps up with, its fired/s is that rate, not what it could do;
    so the goal is judged at the best ratio any rate of the run gave, each ratio shown with
    what the peer's figure was (the same due rate, or its capacity where it fell behind).
    """
    compared = [
        (int(key.split("_")[1]), f)
        for key in escalation_workloads(results)
        if (f := results.get(key, "dispatchd_sqlite")) is not None
        and f.get("vs_best_peer") is not None
    ]
    if not compared:
        return None
    parts = []
    for rate, f in compared:
        basis = f.get("best_peer_basis") or "same due rate"
        where = "" if basis == "same due rate" else f", {basis}"
        parts.append(
            f"at {rate:,} due/s: {_num(f['fired_per_s'])}/s = {f['vs_best_peer']}× "
            f"{f['best_peer']} ({_num(f['best_peer_fired_per_s'])}/s{where})"
        )
    return "; ".join(parts), max(f["vs_best_peer"] for _, f in compared) >= 5


def _postgres_rate(results: Results) -> Judged:
    f = _escalation_target(results, "dispatchd_postgresql")
    return None if f is None else (f"{_num(f['fired_per_s'])}/s", f["fired_per_s"] >= 10_000)


def _p99(f: Figures) -> str:
    return ("≥ " if f.get("lateness_lower_bound") else "") + _seconds(f["lateness_p99_s"])


def _lateness_goal(store: str, bound_s: float) -> Callable[[Results], Judged]:
    def judge(results: Results) -> Judged:
        f = _escalation_target(results, store)
        if f is None:
            return None
        return _p99(f), f["lateness_p99_s"] <= bound_s and not f.get("lateness_lower_bound")

    return judge


def _backlog_goal(store: str, steps_per_s: float) -> Callable[[Results], Judged]:
    def judge(results: Results) -> Judged:
        f = results.get(BACKLOG_KEY, store)
        if f is None:
            return None
        return f"{_num(f['steps_per_s'])} steps/s", f["steps_per_s"] >= steps_per_s

    return judge


def _cpu_per_step(results: Results) -> Judged:
    found = [
        (_store(store), f)
        for store in DISPATCHD_STORES
        if (f := results.get(BACKLOG_KEY, store)) is not None
    ]
    if not found:
        return None
    text = ", ".join(f"{name} {_num(f['cpu_us_per_step'])} µs" for name, f in found)
    return text, all(f["cpu_us_per_step"] <= CPU_US_PER_STEP_GOAL for _, f in found)


def _orders(results: Results) -> Judged:
    f = results.get("http_orders", "dispatchd_sqlite")
    if f is None:
        return None
    rate = f["create_order_requests_per_s"]
    return f"{_num(rate)}/s", rate >= 2_000


def _nearest_target(results: Results) -> Judged:
    f = results.get("nearest_100000", "index_k1")
    return None if f is None else (f"{_num(f['p99_us'], 1)} µs", f["p99_us"] <= 200)


def _updates(results: Results) -> Judged:
    measured = [
        (system, f)
        for system, f in results.workloads.get("location_updates", {}).items()
        if "skipped" not in f
    ]
    if not measured:
        return None
    system, best = max(measured, key=lambda item: item[1]["updates_per_s"])
    return f"{_num(best['updates_per_s'])}/s ({system})", best["updates_per_s"] >= 20_000


def _streams(results: Results) -> Judged:
    f = results.get("sse_10000_streams", "dispatchd_sqlite")
    if f is None:
        return None
    if not f.get("deliveries"):
        return f"{_num(f['held_to_end'])} held, no event delivered", False
    text = f"{_num(f['held_to_end'])} held, p99 {_ms(f['latency_p99_ms'])}"
    return text, f["held_to_end"] >= 10_000 and f["latency_p99_ms"] <= 250


def _memory_target(results: Results) -> Judged:
    f = results.get("memory", "dispatchd_sqlite")
    if f is None:
        return None
    text = f"{_num(f['rss_after_idle_mib'])} MiB with {_num(f['open_offers'])} open offers"
    return text, (f["rss_after_idle_mib"] <= 1024 if f["open_offers"] >= 1_000_000 else None)


#: dispatchd's speed goals on two cores, each with the figure of this run that it is about.
TARGETS: list[tuple[str, Callable[[Results], Judged]]] = [
    ("SQLite: ≥ 5× the fastest peer's steps/s", _sqlite_vs_peers),
    ("PostgreSQL: ≥ 10,000 steps/s (at 10,000 due/s)", _postgres_rate),
    ("SQLite: p99 lateness ≤ 200 ms at 10,000 due/s", _lateness_goal("dispatchd_sqlite", 0.2)),
    (
        "PostgreSQL: p99 lateness ≤ 500 ms at 10,000 due/s",
        _lateness_goal("dispatchd_postgresql", 0.5),
    ),
    (
        "SQLite: backlog worked off at ≥ 25,000 steps/s",
        _backlog_goal("dispatchd_sqlite", BACKLOG_GOALS["dispatchd_sqlite"]),
    ),
    (
        "PostgreSQL: backlog worked off at ≥ 12,000 steps/s",
        _backlog_goal("dispatchd_postgresql", BACKLOG_GOALS["dispatchd_postgresql"]),
    ),
    ("CPU per step on the backlog ≤ 40 µs (process CPU ÷ steps)", _cpu_per_step),
    ("≥ 2,000 orders/s created and offered over HTTP (SQLite)", _orders),
    ("nearest installer p99 ≤ 200 µs among 100k", _nearest_target),
    ("≥ 20,000 location updates/s (best path)", _updates),
    ("10,000 streams held, delivery p99 ≤ 250 ms", _streams),
    ("≤ 1 GiB RSS with 1M open offers", _memory_target),
]


def _targets(results: Results) -> str:
    rows = []
    for target, judge in TARGETS:
        judged = judge(results)
        if judged is None:
            rows.append([target, "not measured in this run", MISSING])
            continue
        text, met = judged
        rows.append([target, text, MISSING if met is None else ("yes" if met else "**no**")])
    return "## Targets\n\n" + _table(["target", "this run", "met"], rows)


def _escalation(results: Results) -> str | None:
    keys = escalation_workloads(results)
    if not keys:
        return None
    plan = results.meta.get("run", {}).get("plan", {})
    window = plan.get("escalation_window_s")
    parts = [
        "## Escalation deadlines\n\n"
        "dispatchd: offers with a 3-step ladder (remind, penalize, revoke, one second apart), "
        "seeded in bulk and fired by the real `DeadlineEngine` through the service layer — "
        "each step changes the offer, appends its event, books the penalty or raises the "
        "revoke alert, and writes the next deadline. Peers: one delayed task per step, each "
        "committing one row (`benchmarks/peers`, one worker process, settings below). Steps "
        f"(tasks) come due at the full rate for {_num(window, 0)} s; dispatchd's ladder adds "
        "a ramp of 2 s at each end, and its fired/s counts the commits made while steps came "
        "due at the full rate. Lateness: from due time to dispatchd's commit, and to the "
        "start of the peer's task (before its commit); a step or task that never fired counts "
        "as late until the end of the observation (≥: a lower bound). Kept up: everything "
        "fired and p99 lateness under a second (the peers' harness also asks for no drift). "
        "*÷ bare loop*: fired/s as a fraction of the bare loop's at the same rate — a heap, a "
        "sleep and one durable SQLite commit per batch of tasks due together, the most the "
        "timer and the durable write allow on this machine."
    ]
    for key in keys:
        rate = int(key.split("_")[1])
        parts.append(
            f"### {rate:,} steps due per second\n\n"
            + _escalation_table(results, key)
            + _limit_line(results, key)
        )
    for section in (_highest_rate(results), _backlog(results)):
        if section:
            parts.append(section)
    return "\n\n".join(parts)


def _fraction(value: Any) -> str:
    return MISSING if value is None else f"{value:.0%}"


def _limit_line(results: Results, key: str) -> str:
    """The bare loop at this rate, each dispatchd store as a fraction of it, and the peers."""
    bare = results.get(key, REFERENCE_SYSTEM)
    if bare is None:
        text = "No bare loop ran at this rate, so no fraction of the limit is given."
    else:
        shares = [
            f"{_store(store)} {_fraction(f.get('of_bare_loop'))} of it "
            f"(p99 {_p99(f)} against {_seconds(bare.get('lateness_p99_s'))})"
            for store in DISPATCHD_STORES
            if (f := results.get(key, store)) is not None
        ]
        text = (
            f"The limit at this rate: the bare loop fired {_num(bare.get('fired_per_s'))}/s, "
            f"p99 {_seconds(bare.get('lateness_p99_s'))}"
            + ("; dispatchd fired " + " and ".join(shares) if shares else "")
            + "."
        )
    if not any(system in PEER_SYSTEMS for system in results.workloads[key]):
        compared = next(
            (
                f
                for store in DISPATCHD_STORES
                if (f := results.get(key, store)) is not None and f.get("best_peer")
            ),
            None,
        )
        text += " No peer ran at this rate" + (
            f"; dispatchd is compared with {compared['best_peer']}'s "
            f"{_num(compared['best_peer_fired_per_s'])}/s ({compared['best_peer_basis']})."
            if compared
            else "."
        )
    return "\n\n" + text + _late_starts(results, key)


def _late_starts(results: Results, key: str) -> str:
    """Runs whose seed overran its lead: the engine started after steps were already due."""
    notes = []
    for store in DISPATCHD_STORES:
        f = results.get(key, store)
        if f is None or (f.get("slack_before_first_due_s") or 0) >= 0:
            continue
        late = -f["slack_before_first_due_s"]
        window = (f.get("window_s") or 0) + (f.get("ramp_s") or 0)
        counted = (
            "so its fired/s is over the whole run (the engine started after the full-rate "
            "window had ended: this was a backlog, not a paced rate)"
            if late >= window
            else "so its fired/s counts only the part of the full-rate window the engine ran in"
        )
        notes.append(
            f"dispatchd on {_store(store)} started {late:,.1f} s after the first step was due "
            f"(seeding took {_seconds(f.get('seeded_in_s'))}, more than its lead), {counted}; "
            "its lateness includes that wait."
        )
    return "".join(f" Note: {note}" for note in notes)


def _highest_rate(results: Results) -> str | None:
    systems = results.workloads.get(HIGHEST_RATE_KEY, {})
    if not systems:
        return None
    rows = []
    bound = P99_BOUND_S
    for system, f in systems.items():
        name = {
            "dispatchd_sqlite": "**dispatchd** (SQLite)",
            "dispatchd_postgresql": "**dispatchd** (PostgreSQL)",
        }.get(system, f"{f.get('peer', system)} (fastest peer)")
        if "skipped" in f:
            rows.append([name, f"skipped: {f['skipped']}", MISSING, MISSING, MISSING])
            continue
        bound = f.get("p99_bound_s", bound)
        best = f.get("highest_kept_up_per_s")
        failed = f.get("lowest_failed_above_per_s")
        trials = ", ".join(
            f"{_num(t['rate'])}: {_seconds(t['lateness_p99_s'])}"
            + ("" if t["kept_up"] else " ✗")
            + ("" if t.get("measured_here", True) else " (fixed-rate run)")
            for t in f.get("trials", [])
        )
        rows.append(
            [
                name,
                "none" if best is None else f"{_num(best)}/s",
                MISSING if failed is None else f"{_num(failed)}/s",
                trials or MISSING,
                f"{_num(f.get('runs'))} runs in {_seconds(f.get('took_s'))}, "
                f"stopped: {f.get('stopped_by')}",
            ]
        )
    return (
        f"### Highest due rate kept up with p99 lateness ≤ {_seconds(bound)}\n\n"
        "The rate stepped on the same window as above: doubled from the highest rate kept up "
        "until a run failed, then bisected between the highest kept and the lowest failed, a "
        "bounded number of runs in bounded time; the fixed-rate runs above count as trials. "
        "Kept up here: every step fired, none twice, and p99 lateness within the bound (✗: "
        "not). The answer lies between the two rates; each is one run, and run-to-run spread "
        "on a shared machine is wide.\n\n"
        + _table(
            ["system", "highest kept up", "lowest failed above it", "trials: rate, p99", "search"],
            rows,
        )
    )


def _met(met: bool) -> str:
    return "met" if met else "**not met**"


def _backlog(results: Results) -> str | None:
    systems = results.workloads.get(BACKLOG_KEY, {})
    rows = []
    for store in DISPATCHD_STORES:
        f = systems.get(store)
        if f is None:
            continue
        if "skipped" in f:
            rows.append([_store(store), f"skipped: {f['skipped']}", "", "", "", "", ""])
            continue
        rows.append(
            [
                _store(store),
                f"{_num(f['fired'])} / {_num(f['pending'])}",
                f"{_num(f['steps_per_s'])} (goal ≥ {_num(BACKLOG_GOALS[store])}: "
                f"{_met(f['steps_per_s'] >= BACKLOG_GOALS[store])})",
                f"{_num(f['cpu_us_per_step'])} µs (goal ≤ {_num(CPU_US_PER_STEP_GOAL)} µs: "
                f"{_met(f['cpu_us_per_step'] <= CPU_US_PER_STEP_GOAL)})",
                _num(f["batches"]),
                _seconds(f["wall_s"]),
                _num(f["duplicates"]),
            ]
        )
    if not rows:
        return None
    return (
        "### A backlog of pending deadlines, all due at once\n\n"
        "The engine's capacity with nothing in the way, as after an outage: offers standing a "
        "third each before their remind, penalize and revoke rung, every deadline a minute "
        "overdue, the next rungs an hour ahead; the real `DeadlineEngine` fires them in batches "
        "through the service layer until none is due. No peer runs this one.\n\n"
        + _table(
            [
                "store",
                "fired / pending",
                "steps/s",
                "CPU per step (process)",
                "batches",
                "took",
                "duplicates",
            ],
            rows,
        )
    )


def _escalation_table(results: Results, key: str) -> str:
    systems = results.workloads[key]
    order = [s for s in DISPATCHD_STORES if s in systems]
    peers = [s for s in systems if s in PEER_SYSTEMS and "skipped" not in systems[s]]
    order += sorted(peers, key=lambda s: -(systems[s].get("fired_per_s") or 0.0))
    order += [s for s in systems if s == REFERENCE_SYSTEM]
    order += [s for s in systems if s not in order]
    rows = []
    for system in order:
        f = systems[system]
        name = {
            "dispatchd_sqlite": "**dispatchd** (SQLite)",
            "dispatchd_postgresql": "**dispatchd** (PostgreSQL)",
            REFERENCE_SYSTEM: "bare loop, SQLite (reference, not a product)",
        }.get(system, system)
        if "skipped" in f:
            rows.append([name, f"skipped: {f['skipped']}", *[MISSING] * 8])
            continue
        ratio = f.get("vs_best_peer")
        basis = (
            "" if f.get("best_peer_basis", "same due rate") == "same due rate" else "'s capacity"
        )
        late_ratio = f.get("lateness_p99_vs_promptest_peer")
        at_least = "≥ " if f.get("lateness_lower_bound") else ""
        rows.append(
            [
                name,
                f"{_num(f.get('fired'))} / {_num(f.get('scheduled'))}",
                _num(f.get("fired_per_s")),
                "limit" if system == REFERENCE_SYSTEM else _fraction(f.get("of_bare_loop")),
                MISSING if ratio is None else f"{ratio}× {f.get('best_peer')}{basis}",
                at_least + _seconds(f.get("lateness_p50_s")),
                at_least
                + _seconds(f.get("lateness_p99_s"))
                + _versus(late_ratio, f.get("promptest_peer")),
                at_least + _seconds(f.get("lateness_max_s")),
                _num(f.get("kept_up")),
                _num(f.get("duplicates")),
            ]
        )
    return _table(
        [
            "system",
            "fired / scheduled",
            "fired/s",
            "÷ bare loop",
            "× fastest peer",
            "lateness p50",
            "p99",
            "max",
            "kept up",
            "duplicates",
        ],
        rows,
    )


def _versus(ratio: float | None, peer: str | None) -> str:
    """How the p99 compares with the promptest peer's: "(9.1× lower than pgqueuer)"."""
    if not ratio:
        return ""
    if ratio >= 1:
        return f" ({ratio:,.1f}× lower than {peer})"
    return f" ({1 / ratio:,.1f}× higher than {peer})"


def _load_cell(f: Figures, part: str) -> str:
    return (
        f"{_num(f.get(f'{part}_requests_per_s'))}/s "
        f"(p50 {_ms(f.get(f'{part}_latency_p50_ms'))}, p99 {_ms(f.get(f'{part}_latency_p99_ms'))}"
        + (f", {f[f'{part}_errors']} errors" if f.get(f"{part}_errors") else "")
        + ")"
    )


def _http(results: Results) -> str | None:
    systems = results.workloads.get("http_orders")
    if not systems:
        return None
    rows = []
    for system, f in systems.items():
        if "skipped" in f:
            rows.append(
                [_store(system), f"skipped: {f['skipped']}", MISSING, MISSING, MISSING, MISSING]
            )
            continue
        rows.append(
            [
                _store(system),
                _load_cell(f, "trivial_endpoint"),
                _plain_stack_cell(f),
                _load_cell(f, "create_order"),
                _load_cell(f, "accept_offer"),
                f"{f['orders_vs_trivial']:.0%}",
            ]
        )
    concurrency = next((f.get("concurrency") for f in systems.values() if "concurrency" in f), "")
    return (
        "## Orders over HTTP\n\n"
        "A live `dispatchd serve` on a fresh database; the load comes from a separate process "
        f"over {concurrency} keep-alive connections on loopback. `POST /api/v1/orders` creates "
        "an order and offers it to the nearest installer in the same transaction (orders at "
        "random points of a 1°×1° city, its on-duty installers spread over it at random); "
        "`POST /api/v1/offers/{id}/accept` accepts one. The trivial endpoint (`GET /healthz`) "
        "of the same server in the same run is the framework's ceiling. The server parses "
        "HTTP with httptools on uvloop; the same endpoint on uvicorn's pure-Python parser (h11) "
        "and the standard asyncio loop, measured right after, shows what that stack is worth.\n\n"
        + _table(
            [
                "store",
                "trivial endpoint",
                "same on h11 + asyncio",
                "create + offer",
                "accept",
                "orders ÷ trivial",
            ],
            rows,
        )
    )


def _plain_stack_cell(f: dict[str, Any]) -> str:
    if f.get("trivial_endpoint_plain_stack_requests_per_s") is None:
        return MISSING
    ratio = f["trivial_endpoint_requests_per_s"] / max(
        f["trivial_endpoint_plain_stack_requests_per_s"], 1e-9
    )
    return f"{_load_cell(f, 'trivial_endpoint_plain_stack')}; today's is {ratio:.2f}×"


def _nearest(results: Results) -> str | None:
    keys = sorted(
        (k for k in results.workloads if k.startswith("nearest_")),
        key=lambda k: int(k.split("_")[1]),
    )
    if not keys:
        return None
    names = {
        "index_k1": "`InstallerIndex.nearest`, nearest 1",
        "brute_force_python": "brute force, Python scan",
        "brute_force_numpy": "brute force, NumPy (vectorised haversine)",
    }
    rows = []
    for key in keys:
        systems = results.workloads[key]
        numpy = systems.get("brute_force_numpy", {})
        for system, f in systems.items():
            name = names.get(system, f"`InstallerIndex.nearest`, nearest {system[7:]}")
            if "skipped" in f:
                rows.append([f"{int(key.split('_')[1]):,}", name, f"skipped: {f['skipped']}"])
                continue
            speedup = (
                f"{numpy['p50_us'] / f['p50_us']:,.0f}×"
                if numpy.get("p50_us") and system.startswith("index")
                else MISSING
            )
            rows.append(
                [
                    f"{int(key.split('_')[1]):,}",
                    name,
                    _num(f["queries"]),
                    f"{_num(f['p50_us'], 1)} µs",
                    f"{_num(f['p99_us'], 1)} µs",
                    f"{_num(f['cpu_p99_us'], 1)} µs" if "cpu_p99_us" in f else MISSING,
                    speedup,
                    _num(f.get("mismatches")) if "mismatches" in f else MISSING,
                ]
            )
    return (
        "## Nearest eligible installer\n\n"
        "Installers on duty stand uniformly in a 1°×1° square split into ten zones; each query "
        "asks for an installer of its zone at a random point. The dispatcher asks the index "
        "for its first candidates (the larger k); every indexed answer is checked against the "
        "brute force (mismatches). CPU p99 leaves out time the query spent preempted by other "
        "processes.\n\n"
        + _table(
            [
                "installers on duty",
                "method",
                "queries",
                "p50",
                "p99",
                "CPU p99",
                "p50 vs NumPy brute force",
                "mismatches",
            ],
            rows,
        )
    )


def _locations(results: Results) -> str | None:
    systems = results.workloads.get("location_updates")
    if not systems:
        return None
    rows = []
    for system, f in systems.items():
        path, store, *_ = system.split("_")
        label = "service layer" if path == "service" else "HTTP"
        if "skipped" in f:
            rows.append([label, STORE_NAMES.get(store, store), f"skipped: {f['skipped']}"])
            continue
        parallel = (
            f"{f['callers']} thread{'s' if f['callers'] != 1 else ''}"
            if "callers" in f
            else f"{f['concurrency']} connections"
        )
        rows.append(
            [
                label,
                STORE_NAMES.get(store, store),
                parallel,
                _num(f["updates_per_s"]),
                _ms(f["latency_p50_ms"]),
                _ms(f["latency_p99_ms"]),
                _num(f["errors"]),
            ]
        )
    return (
        "## Location updates\n\n"
        "`Dispatcher.report_positions` from threads in one process (the service layer without "
        "HTTP), and `POST /api/v1/me/location` against a live server with every installer's "
        "own token from a separate load process. A position is taken into memory at once and "
        "saved with the next batch (one statement a second), not in a transaction of its "
        "own.\n\n"
        + _table(["path", "store", "callers", "updates/s", "latency p50", "p99", "errors"], rows)
    )


def _sse(results: Results) -> str | None:
    keys = sorted(
        (k for k in results.workloads if k.startswith("sse_")),
        key=lambda k: int(k.split("_")[1]),
    )
    if not keys:
        return None
    rows = []
    for key in keys:
        f = results.workloads[key].get("dispatchd_sqlite", {})
        streams = f"{int(key.split('_')[1]):,}"
        if "skipped" in f or not f:
            rows.append([streams, f"skipped: {f.get('skipped', 'not run')}"])
            continue
        rows.append(
            [
                f"{streams} ({f['console_streams']:,} consoles + "
                f"{f['installer_streams']:,} phones)",
                f"{_num(f['opened'])} in {_num(f['opened_in_s'], 1)} s"
                + (f", {f['refused']} refused" if f["refused"] else ""),
                _num(f["held_to_end"]),
                _num(f["orders_per_s"], 1),
                _num(f["deliveries_per_s"]),
                _ms(f["latency_p50_ms"]),
                _ms(f["latency_p99_ms"]),
                _ms(f["latency_max_ms"]),
                f"{_num(f['server_rss_idle_mib'])} → {_num(f['server_rss_holding_mib'])} MiB",
                f"{_num(f['server_kib_per_stream'])} KiB",
            ]
        )
    return (
        "## Event streams (SSE)\n\n"
        "One `dispatchd serve` (SQLite); a separate load process opens the streams on raw "
        "sockets with real tokens — one per installer's phone (each sees its own offers) and "
        "one per dispatcher console (each sees every event) — then creates orders at a steady "
        "rate over HTTP. Latency runs from the event's `at` (stamped in the transaction that "
        "committed it) to the arrival of its bytes at each client.\n\n"
        + _table(
            [
                "streams",
                "opened",
                "held to the end",
                "orders/s",
                "deliveries/s",
                "latency p50",
                "p99",
                "max",
                "server RSS",
                "RSS per stream",
            ],
            rows,
        )
    )


def _memory(results: Results) -> str | None:
    f = results.workloads.get("memory", {}).get("dispatchd_sqlite")
    if f is None:
        return None
    if "skipped" in f:
        return f"## Memory\n\nskipped: {f['skipped']}"
    return (
        "## Memory\n\n"
        "A `dispatchd serve` process (engine running) on a SQLite database holding that many "
        "open offers, each with its next deadline a day ahead, so the engine idle-polls. The file "
        "is seeded in RAM (`/dev/shm`) when there is room, only to seed it faster: SQLite "
        "reads it through the page cache, which is not part of the process's RSS.\n\n"
        + _table(
            [
                "open offers",
                "database size",
                "ready in",
                "RSS after start-up",
                f"RSS after {_num(f['idle_s'])} s idle",
                "peak RSS",
            ],
            [
                [
                    _num(f["open_offers"]),
                    f"{_num(f['database_mib'])} MiB"
                    + (" (in /dev/shm)" if f.get("database_in_ram") else " (on disk)"),
                    _seconds(f["ready_in_s"]),
                    f"{_num(f['rss_after_start_mib'])} MiB",
                    f"{_num(f['rss_after_idle_mib'])} MiB",
                    f"{_num(f['peak_rss_mib'])} MiB",
                ]
            ],
        )
    )


def _event_commits(results: Results) -> str | None:
    systems = results.workloads.get(EVENT_COMMITS_KEY)
    if not systems:
        return None
    by_processes: dict[int, dict[str, Figures]] = {}
    for system, figures in systems.items():
        mode, processes, _ = system.split("_")
        by_processes.setdefault(int(processes), {})[mode] = figures
    rows = []
    for count in sorted(by_processes):
        measured = {mode: f for mode, f in by_processes[count].items() if "skipped" not in f}
        cells = [_num(count)]
        for mode in ("lock", "publisher"):
            found = by_processes[count].get(mode)
            if found is None or "skipped" in found:
                reason = "not run" if found is None else f"skipped: {found['skipped']}"
                cells += [reason, MISSING, MISSING]
                continue
            cells += [
                _num(found["commits_per_s"]),
                _ms(found["latency_p50_ms"]),
                _ms(found["latency_p99_ms"]),
            ]
        ratio = None
        if {"lock", "publisher"} <= measured.keys() and measured["lock"]["commits_per_s"]:
            ratio = measured["publisher"]["commits_per_s"] / measured["lock"]["commits_per_s"]
        cells.append(MISSING if ratio is None else f"{ratio:.2f}×")
        rows.append(cells)
    threads = next(
        (f["threads_per_process"] for f in systems.values() if "threads_per_process" in f), None
    )
    return (
        "## Event-writing commits on PostgreSQL\n\n"
        f"Writer processes of {_num(threads)} threads each commit transactions of two events "
        "and wait until their events are published, as a command does before it answers. "
        "*Lock* is the previous design rebuilt as a baseline (every event-writing commit "
        "took one advisory lock across the deployment); *publisher* is today's (events "
        "queued without a shared lock, one publication round per process numbering every "
        "committed one). Commits per second are of all processes together.\n\n"
        + _table(
            [
                "processes",
                "lock: commits/s",
                "p50",
                "p99",
                "publisher: commits/s",
                "p50",
                "p99",
                "publisher / lock",
            ],
            rows,
        )
    )


def _peer_settings(results: Results) -> str | None:
    seen: dict[str, Figures] = {}
    memory: dict[str, list[str]] = {}
    for key in escalation_workloads(results):
        rate = int(key.split("_")[1])
        for system, f in results.workloads[key].items():
            if system in DISPATCHD_STORES or "skipped" in f:
                continue
            seen.setdefault(system, f)
            if f.get("worker_peak_rss_mb") is not None:
                memory.setdefault(system, []).append(
                    f"{_num(f['worker_peak_rss_mb'])} MiB at {rate:,}/s"
                )
    if not seen:
        return None
    rows = [
        [
            system,
            str(f.get("version", MISSING)),
            str(f.get("settings", MISSING)).replace("|", "/"),
            ", ".join(memory.get(system, [])) or MISSING,
        ]
        for system, f in seen.items()
    ]
    return "## Peers: versions and settings\n\n" + _table(
        ["system", "version", "settings", "worker peak RSS"], rows
    )


def _machine(results: Results) -> str:
    m = results.meta.get("machine", {})
    before = results.meta.get("host_before", {})
    after = results.meta.get("host_after", {})
    table = _table(
        ["CPU", "cores", "memory", "OS", "Python", "SQLite", "PostgreSQL", "dispatchd"],
        [
            [
                str(m.get("cpu")),
                str(m.get("cores")),
                f"{m.get('memory_gib')} GiB",
                str(m.get("os")),
                str(m.get("python")),
                str(m.get("sqlite")),
                str(m.get("postgresql") or "not reachable"),
                f"{m.get('dispatchd')} ({m.get('git') or 'no git'})",
            ]
        ],
    )
    return (
        "## Machine\n\n" + table + "\n\nHow busy it was: 1-minute load "
        f"{before.get('loadavg_1m')} at the start ({before.get('at')}) and "
        f"{after.get('loadavg_1m')} at the end ({after.get('at')}); SQLite WAL commits with "
        f"fsync (synchronous=FULL): {_num(before.get('fsync_commits_per_s'))}/s and "
        f"{_num(after.get('fsync_commits_per_s'))}/s." + _peak_load(results)
    )


def _peak_load(results: Results) -> str:
    """The busiest moment between the steps, for a run whose start and end looked quiet."""
    loads = [
        (step["loadavg_1m_after"], step["step"])
        for step in results.meta.get("steps") or []
        if step.get("loadavg_1m_after") is not None
    ]
    if not loads:
        return ""
    load, label = max(loads)
    return f" Highest 1-minute load after a step: {load} (after {label})."


def _bounds(results: Results) -> str:
    from dispatchd_bench.bounds import notes

    return "## What bounds each figure\n\n" + "\n".join(f"- {note}" for note in notes(results))


def _shares(items: list[list[Any]]) -> str:
    return "<br>".join(f"{share:.0%} {function}" for function, share in items)


def _profiles(results: Results) -> str | None:
    found = results.meta.get("profiles") or []
    if not found:
        return None
    rows = [
        [
            f"`{p['label']}`",
            _num(p["samples"]),
            _num(p.get("busy_threads"), 2),
            _shares(p["layers"]),
            _shares(p["own"]),
        ]
        for p in found
    ]
    return (
        "## Profiles\n\n"
        "py-spy sampled the process doing dispatchd's work during each measured phase "
        "(the server, or the bench process for the engine and the service layer), "
        "non-blocking at 100 Hz; shares are of the samples in which a thread was busy, each "
        "counted for the function on top of its stack (self time). *Layer*: the library or "
        "dispatchd package that function belongs to; calls into the database driver are "
        "counted apart, as they hold the database's own work (in-process for SQLite) and "
        "the wait for fsync, and so is psycopg's wait for PostgreSQL's answer. *Busy "
        "threads*: busy samples per second over the rate, about how many threads ran or "
        "waited on the database at once — near 1 for a process bound by its one "
        "interpreter.\n\n"
        + _table(["phase", "busy samples", "busy threads", "by layer", "busiest functions"], rows)
    )


def _skipped(results: Results) -> str | None:
    lines = [f"- {name}: {reason}" for name, reason in results.meta.get("skipped", {}).items()]
    for workload, systems in results.workloads.items():
        lines += [
            f"- {workload} / {system}: {f['skipped']}"
            for system, f in systems.items()
            if "skipped" in f
        ]
    return "## Skipped\n\n" + "\n".join(lines) if lines else None
