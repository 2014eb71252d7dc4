"""The benchmark's arithmetic and report, on made-up figures (no timing is measured here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dispatchd.api.routes.events import sse_message
from dispatchd.store.event_log import LoggedEvent
from dispatchd_bench.escalation import _full_rate_throughput, _missing_lateness
from dispatchd_bench.markdown import _streams, render
from dispatchd_bench.profiling import layer_of, summarise
from dispatchd_bench.results import BACKLOG_KEY, EVENT_COMMITS_KEY, Results, add_ratios
from dispatchd_bench.sse import _record, _Tally
from dispatchd_bench.stats import percentile, summary


def _escalation_results() -> Results:
    results = Results()
    key = "escalation_10000_per_s"
    results.put(key, "dispatchd_sqlite", {"fired_per_s": 20_000.0, "lateness_p99_s": 0.1})
    results.put(key, "pgqueuer", {"fired_per_s": 3_500.0, "lateness_p99_s": 9.0})
    results.put(key, "huey", {"fired_per_s": 1_700.0, "lateness_p99_s": 4.0})
    results.put(key, "bare_sqlite", {"fired_per_s": 10_000.0, "lateness_p99_s": 0.001})
    results.put(key, "celery", {"skipped": "redis is not running"})
    return results


def test_percentiles_use_the_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([], 99) == 0.0
    assert summary([0.5, 0.1])["lateness_max_s"] == 0.5


def test_dispatchd_is_compared_with_the_fastest_and_the_promptest_peer() -> None:
    results = _escalation_results()
    add_ratios(results)
    mine = results.workloads["escalation_10000_per_s"]["dispatchd_sqlite"]
    assert mine["best_peer"] == "pgqueuer"
    assert mine["vs_best_peer"] == round(20_000 / 3_500, 2)
    assert mine["promptest_peer"] == "huey"
    assert mine["lateness_p99_vs_promptest_peer"] == 40.0


def test_neither_a_skipped_peer_nor_the_bare_loop_counts_as_the_best_peer() -> None:
    results = _escalation_results()
    add_ratios(results)
    mine = results.workloads["escalation_10000_per_s"]["dispatchd_sqlite"]
    assert mine["best_peer"] not in ("celery", "bare_sqlite")
    assert mine["promptest_peer"] != "bare_sqlite"


def test_the_report_marks_unmeasured_targets_and_lists_skipped_peers() -> None:
    results = _escalation_results()
    results.meta.update(
        machine={"cpu": "test CPU", "cores": 2},
        host_before={"loadavg_1m": 0.1, "fsync_commits_per_s": 1000.0},
        host_after={"loadavg_1m": 0.2, "fsync_commits_per_s": 1000.0},
        run={"mode": "quick", "workloads": ["escalation"], "took_s": 60, "plan": {}},
    )
    add_ratios(results)
    text = render(results, None, "matplotlib is not installed")
    assert "not measured in this run" in text
    assert "celery: redis is not running" in text
    assert "5.71× pgqueuer" in text
    assert "No plot: matplotlib is not installed" in text
    assert "shared with other work" not in text


def test_the_report_warns_when_the_machine_was_busy() -> None:
    results = _escalation_results()
    results.meta.update(
        machine={"cores": 2}, host_before={"loadavg_1m": 3.0}, host_after={"loadavg_1m": 0.1}
    )
    assert "shared with other work" in render(results, None, None)


def _backlog(steps_per_s: float, cpu_us_per_step: float) -> dict[str, float]:
    return {
        "pending": 100_000,
        "fired": 100_000,
        "duplicates": 0,
        "batches": 200,
        "steps_per_s": steps_per_s,
        "cpu_us_per_step": cpu_us_per_step,
        "wall_s": 100_000 / steps_per_s,
    }


def test_the_backlog_is_reported_with_what_bounds_it() -> None:
    results = _escalation_results()
    results.put(BACKLOG_KEY, "dispatchd_sqlite", _backlog(7_000.0, 135.0))
    results.put(BACKLOG_KEY, "dispatchd_postgresql", _backlog(2_500.0, 250.0))
    text = render(results, None, None)
    assert "| SQLite | 100,000 / 100,000 | 7,000 (goal ≥ 25,000: **not met**) | 135 µs" in text
    assert "kept 94% of one core busy" in text
    assert "the ceiling is CPU on the engine's one thread" in text
    assert "SQLite's own work, done in this process" in text
    postgres = text[text.index("Backlog on PostgreSQL") :]
    assert "kept 62% of one core busy" in postgres
    assert "waited for the database" in postgres.splitlines()[0]


def test_full_rate_throughput_counts_only_commits_inside_the_full_rate_window() -> None:
    first_due = datetime(2026, 1, 1, tzinfo=UTC)
    commits = [
        (first_due + timedelta(seconds=0.5), 1_000),
        (first_due + timedelta(seconds=2.5), 2_000),
        (first_due + timedelta(seconds=3.5), 2_000),
        (first_due + timedelta(seconds=6.0), 1_000),
    ]
    assert _full_rate_throughput(commits, first_due, 4.0, fallback=-1.0) == 2_000.0
    assert _full_rate_throughput(commits, first_due, 1.0, fallback=-1.0) == -1.0


def test_steps_that_never_fired_count_as_late_until_the_end_of_the_observation() -> None:
    first_due = datetime(2026, 1, 1, tzinfo=UTC)
    late = _missing_lateness(2, 3.0, first_due, 2, first_due + timedelta(seconds=10))
    assert sorted(late) == [7.0, 8.0]
    assert _missing_lateness(2, 3.0, first_due, 0, first_due) == []


def test_a_profile_counts_busy_samples_by_function_and_layer(tmp_path: Path) -> None:
    raw = tmp_path / "phase.txt"
    raw.write_text(
        "Thread.run (threading.py:1);handle (dispatchd/service/dispatcher.py:9);"
        "DefaultDialect.do_commit (sqlalchemy/engine/default.py:7) 3\n"
        "Thread.run (threading.py:1);handle (dispatchd/service/dispatcher.py:10) 1\n"
        "Thread.run (threading.py:1);Condition.wait (threading.py:320) 50\n"
    )
    profile = summarise(raw, seconds=0.04)
    assert profile.samples == 4
    assert profile.own[0] == ("DefaultDialect.do_commit (default.py)", 0.75)
    assert ("dispatchd.service", 0.25) in profile.layers
    assert profile.busy_threads == 1.0


def test_layers_name_the_dispatchd_package_or_the_library() -> None:
    assert layer_of("escalate (dispatchd/domain/escalation.py:3)") == "dispatchd.domain"
    assert layer_of("Connection.wait (psycopg/connection.py:3)").startswith("waiting for Postgre")
    assert layer_of("BaseCursor.execute (psycopg/cursor.py:3)") == "psycopg"
    assert layer_of("DefaultDialect.do_execute (sqlalchemy/engine/default.py:1)").startswith(
        "database calls"
    )


def test_a_stream_client_measures_from_the_events_commit_time() -> None:
    tally = _Tally()
    at = datetime(2026, 1, 1, 12, 0, 0, 250_000, tzinfo=UTC)
    message = sse_message(LoggedEvent(7, "offer.sent", "ord_x", None, None, {}, at))
    block = f"id: {message['id']}\nevent: {message['event']}\ndata: {message['data']}".encode()
    _record(block, at.timestamp() + 0.040, tally)
    _record(b": ping", at.timestamp() + 1, tally)
    assert len(tally.latencies_ms) == 1
    assert abs(tally.latencies_ms[0] - 40.0) < 1e-3


def _commits(mode: str, processes: int, per_s: float) -> dict[str, object]:
    return {
        "mode": mode,
        "processes": processes,
        "threads_per_process": 4,
        "commits_per_s": per_s,
        "latency_p50_ms": 2.0,
        "latency_p99_ms": 9.0,
    }


def test_event_commits_show_both_designs_side_by_side_per_number_of_processes() -> None:
    results = Results()
    for processes, lock, publisher in ((1, 800.0, 900.0), (2, 820.0, 1_640.0)):
        results.put(EVENT_COMMITS_KEY, f"lock_{processes}_processes", _commits("lock", 1, lock))
        results.put(
            EVENT_COMMITS_KEY,
            f"publisher_{processes}_processes",
            _commits("publisher", processes, publisher),
        )
    results.put(EVENT_COMMITS_KEY, "lock_4_processes", {"skipped": "no PostgreSQL"})
    text = render(results, None, None)
    section = text[text.index("## Event-writing commits on PostgreSQL") :]
    assert "| 1 | 800 | 2.0 ms | 9.0 ms | 900 | 2.0 ms | 9.0 ms | 1.12× |" in section
    assert "| 2 | 820 | 2.0 ms | 9.0 ms | 1,640 | 2.0 ms | 9.0 ms | 2.00× |" in section
    assert "| 4 | skipped: no PostgreSQL | – | – | not run | – | – | – |" in section


def test_streams_that_received_no_event_do_not_meet_the_delivery_target() -> None:
    results = Results()
    figures = {"held_to_end": 10_000, "deliveries": 0, "latency_p99_ms": 0.0}
    results.put("sse_10000_streams", "dispatchd_sqlite", figures)
    assert _streams(results) == ("10,000 held, no event delivered", False)
    results.put("sse_10000_streams", "dispatchd_sqlite", {**figures, "deliveries": 5})
    assert _streams(results) == ("10,000 held, p99 0.0 ms", True)
