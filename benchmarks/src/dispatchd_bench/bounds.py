"""The notes under "What bounds each figure", written from the run's own figures.

Each note names the mechanism that sets the ceiling of a figure (one writer, one fsync per
transaction, one interpreter per process) and quotes this run's numbers for it, so that a
reader can tell a figure bounded by the machine from one bounded by dispatchd's code.
"""

from __future__ import annotations

from typing import Any

from dispatchd_bench.results import BACKLOG_KEY, Figures, Results, escalation_workloads

#: Share of one core above which a phase counts as bound by its own Python work.
CPU_BOUND = 0.8


def host_before(results: Results, workload: str) -> dict[str, Any]:
    """The machine probe taken before the run that measured ``workload`` (this or a carried one)."""
    for source in results.meta.get("carried") or []:
        if workload in source.get("workloads", []):
            return source.get("host_before") or {}
    return results.meta.get("host_before") or {}


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _profiled(results: Results, label: str) -> str:
    """What this run's profile of a phase says, if it was profiled: " (profile: …)"."""
    for profile in results.meta.get("profiles") or []:
        if profile["label"] == label and profile["samples"]:
            layers = ", ".join(f"{share:.0%} {name}" for name, share in profile["layers"][:4])
            busy = profile.get("busy_threads")
            running = f"; {busy:.2f} threads busy on average" if busy is not None else ""
            return f" (profile `{label}`: {layers}{running})"
    return ""


def notes(results: Results) -> list[str]:
    """Every note that applies to what this run measured."""
    found = []
    found += _escalation(results)
    for note in (_http(results), _locations(results), _sse(results), _memory(results)):
        if note:
            found.append(note)
    found.append(
        "The nearest-installer figures are in-process calls on one thread: the index visits "
        "grid cells ring by ring until no unvisited cell can hold anyone nearer, so its cost "
        "grows with the number of installers in the few cells around the order, not with the "
        "whole map; a brute force pays for every installer on every query."
    )
    return found


def _escalation(results: Results) -> list[str]:
    fsync = results.meta.get("host_before", {}).get("fsync_commits_per_s")
    found = []
    for key in escalation_workloads(results):
        rate = int(key.split("_")[1])
        for store, name in (("dispatchd_sqlite", "SQLite"), ("dispatchd_postgresql", "PostgreSQL")):
            f = results.get(key, store)
            if f is None:
                continue
            label = f"escalation_{rate}_{store.removeprefix('dispatchd_')}"
            found.append(_escalation_note(f, rate, name, fsync) + _profiled(results, label))
    for store, name in (("dispatchd_sqlite", "SQLite"), ("dispatchd_postgresql", "PostgreSQL")):
        f = results.get(BACKLOG_KEY, store)
        if f is not None:
            found.append(
                _backlog_note(f, name)
                + _profiled(results, f"backlog_{store.removeprefix('dispatchd_')}")
            )
    if found:
        found.append(
            "Peers: each task commits one row in its own transaction, so a peer's rate is "
            "bounded by its per-task overhead (dequeue, dispatch to a worker, one commit); "
            "the bare loop shows what the timer and a batched commit allow on this machine."
        )
    return found


def _backlog_note(f: Figures, store: str) -> str:
    busy = f["cpu_us_per_step"] * f["steps_per_s"] / 1e6
    head = (
        f"Backlog on {store}: {_n(f['steps_per_s'])} steps/s at "
        f"{_n(f['cpu_us_per_step'])} µs of this process's CPU per step, so the process kept "
        f"{busy:.0%} of one core busy while the engine worked the backlog off"
    )
    if busy >= CPU_BOUND:
        in_process = (
            ", and SQLite's own work, done in this process: ids are random, so a batch's rows "
            "sit on pages all over each table and the pages a commit writes grow with the "
            "tables, and every insert checks its foreign keys"
            if store == "SQLite"
            else ""
        )
        return (
            head + ": the ceiling is CPU on the engine's one thread — the Python work per step "
            "(the domain's decision on each offer and its event; for a revoke, the whole order "
            "read, revoked and sent on to the next installer one after another, with its alert)"
            + in_process
            + "."
        )
    return head + "; the rest of the time it waited for the database (its work and fsync)."


def _of_limit(f: Figures) -> str:
    if f.get("of_bare_loop") is None:
        return ""
    return (
        f" ({f['of_bare_loop']:.0%} of the bare loop's {_n(f['bare_loop_fired_per_s'])}/s at "
        "the same rate)"
    )


def _escalation_note(f: Figures, rate: int, store: str, fsync: float | None) -> str:
    if f.get("kept_up"):
        return (
            f"Escalation at {rate:,}/s on {store}: dispatchd kept up, so {_n(f['fired_per_s'])}/s"
            f"{_of_limit(f)} is the rate that came due, not a capacity; its lateness (p50 "
            f"{f['lateness_p50_s'] * 1000:,.0f} ms) is the engine's wake-up plus one batch "
            "transaction and its commit."
        )
    if store == "SQLite":
        commit = f" (this run's fsync probe allowed {_n(fsync)} commits/s)" if fsync else ""
        remains = "the work per step in Python — domain, service layer and SQL — on one core"
    else:
        commit = ""
        remains = (
            "the work per step in Python — domain, service layer and SQL — on one core, and "
            "each kind of write sent to PostgreSQL as one statement for the batch (its rows as "
            "one JSON array), which PostgreSQL runs on the other core beside the load"
        )
    return (
        f"Escalation at {rate:,}/s on {store}: dispatchd fell behind, so {_n(f['fired_per_s'])}/s"
        f"{_of_limit(f)} is the engine's capacity: one engine thread claims up to a batch of "
        "due steps and runs them as one transaction, so the commit's fsync is shared by the batch"
        f"{commit} and what remains is {remains}. The profile spans the whole phase, seeding "
        "and the idle lead-in included, so its busy-thread average understates the engine's "
        "load while it was behind."
    )


def _http(results: Results) -> str | None:
    f = results.get("http_orders", "dispatchd_sqlite")
    if f is None:
        return None
    return (
        f"Orders over HTTP (SQLite): {_n(f['create_order_requests_per_s'])} orders/s is "
        f"{f['orders_vs_trivial']:.0%} of the {_n(f['trivial_endpoint_requests_per_s'])} "
        "requests/s the same server answers on its trivial endpoint: one uvicorn process, one "
        "interpreter, so HTTP parsing, auth (a token lookup per request), validation and the "
        "transaction share one core with the load generator on the other; every order is a "
        "write transaction, and SQLite writers take turns. A target above the trivial "
        "endpoint's own rate cannot be met by one process on this machine, whatever the "
        "order path costs." + _profiled(results, "http_create_order_sqlite")
    )


def _locations(results: Results) -> str | None:
    systems = results.workloads.get("location_updates", {})
    measured = {s: f for s, f in systems.items() if "skipped" not in f}
    if not measured:
        return None
    single = measured.get("service_sqlite_1_callers")
    many = measured.get("service_sqlite_8_callers")
    text = (
        "Location updates: a position is soft state, taken into this process's memory and "
        "onto the map of installers at once and saved with the next batch (one statement a "
        "second), so no update waits for a commit"
    )
    if single:
        text += (
            f"; one caller reached {_n(single['updates_per_s'])}/s, the cost of checking the "
            "fix and moving the installer on the map"
        )
    if many:
        text += (
            f", and 8 callers {_n(many['updates_per_s'])}/s together: the map is one structure "
            "under one lock, and the threads share one interpreter"
        )
    return (
        text
        + _profiled(results, "locations_service_sqlite_1_callers")
        + ". Over HTTP, each update pays a request on the server's one interpreter: the "
        "token check reads the database's revocation counter in a short read transaction "
        "(a revoked token is refused at once, by every process), and the route runs on a "
        "worker thread, so the rate stays below the trivial endpoint's"
        + _profiled(results, "locations_http_sqlite")
        + "."
    )


def _sse(results: Results) -> str | None:
    keys = sorted(
        (k for k in results.workloads if k.startswith("sse_")), key=lambda k: int(k.split("_")[1])
    )
    if not keys:
        return None
    largest = keys[-1].split("_")[1]
    return (
        "Event streams: one pump reads each new event from the log once and queues it for "
        "every subscriber allowed to see it; each delivery is then formatted and written by "
        "that stream's own task on the server's one event loop, so the latency grows with "
        "deliveries per second (consoles see every event) rather than with idle streams, "
        "which cost memory only" + _profiled(results, f"sse_{largest}_delivering") + "."
    )


def _memory(results: Results) -> str | None:
    f = results.get("memory", "dispatchd_sqlite")
    if f is None:
        return None
    return (
        "Memory: open offers and their deadlines live in the database, not in the process; "
        f"the server's RSS ({_n(f['rss_after_idle_mib'])} MiB) is the interpreter, the "
        "libraries and SQLite's own page cache, and does not grow while the engine idle-polls."
        if f["rss_after_idle_mib"] <= f["rss_after_start_mib"] * 1.1
        else "Memory: the server's RSS grew while the engine idle-polled "
        f"({_n(f['rss_after_start_mib'])} → {_n(f['rss_after_idle_mib'])} MiB)."
    )
