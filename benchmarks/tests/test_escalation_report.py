"""The escalation report's pieces, on made-up figures: the limit, the rate search, the goals.

Nothing here measures time: the search runs against a fake measurement and a fake clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dispatchd_bench.carry import carry_over, workload_of
from dispatchd_bench.escalation import _full_rate_throughput
from dispatchd_bench.highest_rate import Trial, kept_up, next_rate, search
from dispatchd_bench.markdown import render
from dispatchd_bench.peers import PeerEnvironment
from dispatchd_bench.plan import FULL, QUICK
from dispatchd_bench.results import BACKLOG_KEY, HIGHEST_RATE_KEY, Results, add_ratios
from dispatchd_bench.runner import Outcome, build_steps, fastest_peer


def _run(rate: float, fired_per_s: float, p99: float, **more: Any) -> dict[str, Any]:
    scheduled = int(rate * 5)
    return {
        "scheduled": scheduled,
        "fired": scheduled,
        "duplicates": 0,
        "fired_per_s": fired_per_s,
        "lateness_p50_s": p99 / 2,
        "lateness_p99_s": p99,
        "lateness_max_s": p99,
        "kept_up": p99 < 1.0,
        **more,
    }


def _results() -> Results:
    results = Results()
    slow, fast = "escalation_2000_per_s", "escalation_10000_per_s"
    results.put(slow, "dispatchd_sqlite", _run(2_000, 2_000.0, 0.05))
    results.put(slow, "pgqueuer", _run(2_000, 2_000.0, 0.01))
    results.put(slow, "bare_sqlite", _run(2_000, 2_000.0, 0.001))
    results.put(fast, "dispatchd_sqlite", _run(10_000, 9_500.0, 0.3))
    results.put(fast, "dispatchd_postgresql", _run(10_000, 5_000.0, 0.4))
    results.put(fast, "pgqueuer", _run(10_000, 3_800.0, 8.0))
    results.put(fast, "huey", _run(10_000, 1_600.0, 20.0))
    results.put(fast, "bare_sqlite", _run(10_000, 10_000.0, 0.003))
    top = "escalation_20000_per_s"
    results.put(top, "dispatchd_sqlite", _run(20_000, 19_000.0, 0.15))
    results.put(top, "bare_sqlite", _run(20_000, 20_000.0, 0.004))
    results.meta.update(
        machine={"cores": 2, "git": "abc1234"},
        host_before={"loadavg_1m": 0.2, "fsync_commits_per_s": 4_000.0},
        host_after={"loadavg_1m": 0.3, "fsync_commits_per_s": 4_000.0},
        run={"mode": "full", "workloads": ["escalation"], "finished_at": "T1", "plan": {}},
    )
    return results


def _search_figures(highest: float, failed: float) -> dict[str, Any]:
    return {
        "highest_kept_up_per_s": highest,
        "lowest_failed_above_per_s": failed,
        "p99_bound_s": 0.2,
        "trials": [
            {"rate": 2_000.0, "lateness_p99_s": 0.05, "kept_up": True, "measured_here": False},
            {"rate": highest, "lateness_p99_s": 0.18, "kept_up": True, "measured_here": True},
            {"rate": failed, "lateness_p99_s": 0.9, "kept_up": False, "measured_here": True},
        ],
        "runs": 2,
        "stopped_by": "bracketed",
        "took_s": 80.0,
    }


def _memory() -> dict[str, Any]:
    return {
        "open_offers": 1_000_000,
        "database_mib": 850,
        "database_in_ram": True,
        "ready_in_s": 1.5,
        "idle_s": 60,
        "rss_after_start_mib": 145,
        "rss_after_idle_mib": 146,
        "peak_rss_mib": 146,
    }


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _fake_system(limit: float, clock: _Clock, run_s: float = 10.0) -> Any:
    """A system that keeps up with any rate up to ``limit``; every run takes ``run_s``."""
    tried: list[float] = []

    def measure(rate: float) -> dict[str, Any]:
        tried.append(rate)
        clock.now += run_s
        return _run(rate, min(rate, limit), 0.05 if rate <= limit else 2.0)

    measure.tried = tried  # type: ignore[attr-defined]
    return measure


def test_the_search_doubles_until_a_rate_fails_then_bisects_the_bracket() -> None:
    clock = _Clock()
    measure = _fake_system(13_000, clock)
    found = search(measure, 2_000, max_runs=10, budget_s=1_000, clock=clock)
    assert measure.tried == [2_000, 4_000, 8_000, 16_000, 12_000, 14_000, 13_000]
    assert found.highest_kept_up == 13_000
    assert found.lowest_failed_above == 14_000
    assert found.stopped_by == "bracketed"


def test_the_search_starts_from_the_fixed_rate_runs_instead_of_repeating_them() -> None:
    clock = _Clock()
    measure = _fake_system(13_000, clock)
    known = [Trial(2_000, 0.05, True, False), Trial(10_000, 0.1, True, False)]
    found = search(measure, 2_000, max_runs=2, budget_s=1_000, known=known, clock=clock)
    assert measure.tried == [20_000, 15_000]
    assert found.highest_kept_up == 10_000
    assert found.stopped_by == "2 runs"
    assert found.as_dict()["runs"] == 2
    assert [t["measured_here"] for t in found.as_dict()["trials"]] == [False, False, True, True]


def test_the_search_halves_when_even_the_first_rate_fails_and_stops_on_its_budget() -> None:
    clock = _Clock()
    measure = _fake_system(600, clock, run_s=40.0)
    found = search(measure, 2_000, max_runs=10, budget_s=100, clock=clock)
    assert measure.tried == [2_000, 1_000, 500]
    assert found.highest_kept_up == 500
    assert found.stopped_by == "100 s budget"


def test_the_bracket_counts_as_found_once_it_is_within_a_tenth_of_its_lower_end() -> None:
    close = [Trial(10_000, 0.1, True), Trial(11_000, 0.5, False)]
    assert next_rate(close, 2_000) is None
    wide = [Trial(10_000, 0.1, True), Trial(12_000, 0.5, False)]
    assert next_rate(wide, 2_000) == 11_000


def test_a_rate_is_kept_up_only_if_everything_fired_once_within_the_bound() -> None:
    assert kept_up(_run(1_000, 1_000, 0.2))
    assert not kept_up(_run(1_000, 1_000, 0.21))
    assert not kept_up({**_run(1_000, 1_000, 0.1), "fired": 4_999})
    assert not kept_up({**_run(1_000, 1_000, 0.1), "duplicates": 1})
    assert not kept_up({**_run(1_000, 1_000, 0.1), "lateness_lower_bound": True})
    assert not kept_up({"skipped": "no PostgreSQL"})


def test_every_system_is_given_as_a_fraction_of_the_bare_loop_at_the_same_rate() -> None:
    results = _results()
    add_ratios(results)
    fast = results.workloads["escalation_10000_per_s"]
    assert fast["dispatchd_sqlite"]["of_bare_loop"] == 0.95
    assert fast["dispatchd_postgresql"]["of_bare_loop"] == 0.5
    assert fast["pgqueuer"]["of_bare_loop"] == 0.38
    assert "of_bare_loop" not in fast["bare_sqlite"]
    text = render(results, None, None)
    assert "| **dispatchd** (SQLite) | 50,000 / 50,000 | 9,500 | 95% | 2.5× pgqueuer |" in text
    assert "the bare loop fired 10,000/s, p99 3.0 ms; dispatchd fired SQLite 95% of it" in text
    assert (
        "| bare loop, SQLite (reference, not a product) | 50,000 / 50,000 | 10,000 | limit |"
        in (text)
    )


def test_at_a_rate_no_peer_ran_dispatchd_is_compared_with_a_peers_capacity() -> None:
    results = _results()
    add_ratios(results)
    top = results.workloads["escalation_20000_per_s"]["dispatchd_sqlite"]
    assert top["best_peer"] == "pgqueuer"
    assert top["best_peer_fired_per_s"] == 3_800.0
    assert top["best_peer_basis"] == "its capacity, at 10,000 due/s"
    assert top["vs_best_peer"] == 5.0
    text = render(results, None, None)
    assert "5.0× pgqueuer's capacity" in text
    assert "No peer ran at this rate; dispatchd is compared with pgqueuer's 3,800/s" in text


def test_a_peer_that_kept_up_does_not_count_as_a_capacity() -> None:
    results = _results()
    results.workloads["escalation_10000_per_s"]["pgqueuer"]["kept_up"] = True
    results.workloads["escalation_10000_per_s"]["huey"]["kept_up"] = True
    add_ratios(results)
    assert "best_peer" not in results.workloads["escalation_20000_per_s"]["dispatchd_sqlite"]


def test_the_five_times_goal_is_judged_at_the_best_ratio_with_its_basis_shown() -> None:
    results = _results()
    add_ratios(results)
    text = render(results, None, None)
    row = next(line for line in text.splitlines() if "≥ 5× the fastest peer" in line)
    assert "at 10,000 due/s: 9,500/s = 2.5× pgqueuer (3,800/s)" in row
    assert "at 20,000 due/s: 19,000/s = 5.0× pgqueuer (3,800/s, its capacity" in row
    assert row.endswith("| yes |")


def test_the_lateness_goals_differ_by_store_and_are_judged_each() -> None:
    text = render(_results(), None, None)
    lines = text.splitlines()
    sqlite = next(line for line in lines if "SQLite: p99 lateness ≤ 200 ms" in line)
    postgres = next(line for line in lines if "PostgreSQL: p99 lateness ≤ 500 ms" in line)
    assert sqlite == "| SQLite: p99 lateness ≤ 200 ms at 10,000 due/s | 300 ms | **no** |"
    assert postgres == "| PostgreSQL: p99 lateness ≤ 500 ms at 10,000 due/s | 400 ms | yes |"


def test_the_backlog_shows_its_goals_for_steps_per_second_and_cpu_per_step() -> None:
    results = _results()
    base = {"pending": 100_000, "fired": 100_000, "duplicates": 0, "batches": 200, "wall_s": 4.0}
    results.put(
        BACKLOG_KEY, "dispatchd_sqlite", {**base, "steps_per_s": 26_000.0, "cpu_us_per_step": 38.0}
    )
    results.put(
        BACKLOG_KEY,
        "dispatchd_postgresql",
        {**base, "steps_per_s": 9_000.0, "cpu_us_per_step": 55.0},
    )
    text = render(results, None, None)
    assert "| 26,000 (goal ≥ 25,000: met) | 38 µs (goal ≤ 40 µs: met) |" in text
    assert "| 9,000 (goal ≥ 12,000: **not met**) | 55 µs (goal ≤ 40 µs: **not met**) |" in text
    assert "| SQLite: backlog worked off at ≥ 25,000 steps/s | 26,000 steps/s | yes |" in text
    assert "| PostgreSQL: backlog worked off at ≥ 12,000 steps/s | 9,000 steps/s | **no** |" in text
    assert "| SQLite 38 µs, PostgreSQL 55 µs | **no** |" in text


def test_the_highest_rate_kept_up_is_a_row_per_system_with_its_trials() -> None:
    results = _results()
    results.put(HIGHEST_RATE_KEY, "dispatchd_sqlite", _search_figures(24_000.0, 26_000.0))
    results.put(
        HIGHEST_RATE_KEY, "fastest_peer", {"peer": "pgqueuer", **_search_figures(3_000, 3_500)}
    )
    results.put(HIGHEST_RATE_KEY, "dispatchd_postgresql", {"skipped": "no PostgreSQL answers"})
    text = render(results, None, None)
    assert "### Highest due rate kept up with p99 lateness ≤ 200 ms" in text
    row = next(
        line for line in text.splitlines() if line.startswith("| **dispatchd** (SQLite) | 24")
    )
    assert "| 24,000/s | 26,000/s | 2,000: 50 ms (fixed-rate run), 24,000: 180 ms, " in row
    assert "26,000: 900 ms ✗ |" in row
    assert "| pgqueuer (fastest peer) | 3,000/s | 3,500/s |" in text
    assert "| **dispatchd** (PostgreSQL) | skipped: no PostgreSQL answers |" in text


def test_the_full_run_adds_20000_due_per_second_with_the_bare_loop_but_no_peers() -> None:
    steps = build_steps(FULL, ["escalation"], PeerEnvironment(None, "not needed"), Results())
    at_top = [s.system for s in steps if s.workload == "escalation_20000_per_s"]
    assert at_top == ["dispatchd_sqlite", "dispatchd_postgresql", "bare_sqlite"]
    at_ten = {s.system for s in steps if s.workload == "escalation_10000_per_s"}
    assert {"pgqueuer", "procrastinate", "celery", "huey", "apscheduler"} <= at_ten
    searched = [s.system for s in steps if s.workload == HIGHEST_RATE_KEY]
    assert searched == ["dispatchd_sqlite", "dispatchd_postgresql", "fastest_peer"]


def test_the_quick_run_stays_small() -> None:
    steps = build_steps(QUICK, ["escalation"], PeerEnvironment(None, "not needed"), Results())
    assert max(QUICK.escalation_rates) <= 2_000
    assert not [s for s in steps if s.system == "bare_sqlite"]
    assert [s.system for s in steps if s.workload == HIGHEST_RATE_KEY] == ["dispatchd_sqlite"]
    assert QUICK.highest_rate_runs == 1


def test_the_fastest_peer_is_taken_at_the_highest_rate_the_peers_ran_at() -> None:
    results = _results()
    assert fastest_peer(results, (2_000.0, 10_000.0)) == "pgqueuer"
    results.workloads["escalation_10000_per_s"]["huey"]["fired_per_s"] = 3_900.0
    assert fastest_peer(results, (2_000.0, 10_000.0)) == "huey"
    assert fastest_peer(Results(), (2_000.0,)) is None


def test_a_peer_search_that_could_not_run_is_not_a_failure_of_dispatchd() -> None:
    results = _results()
    results.put(HIGHEST_RATE_KEY, "fastest_peer", {"skipped": "no peers environment"})
    assert Outcome(results).dispatchd_failures() == []


def test_a_partial_run_keeps_the_other_workloads_of_the_same_kind_of_run() -> None:
    results = _results()
    earlier = {
        "escalation_2000_per_s": {"dispatchd_sqlite": {"fired_per_s": 1.0}},
        "location_updates": {"http_sqlite": {"skipped": "not reachable"}},
        "memory": {"dispatchd_sqlite": _memory()},
        "_run": {
            "run": {"mode": "full", "finished_at": "T0"},
            "machine": {"git": "4a38d6a"},
            "host_before": {"loadavg_1m": 0.72, "fsync_commits_per_s": 5_347.4},
            "host_after": {"loadavg_1m": 0.54, "fsync_commits_per_s": 3_746.1},
        },
    }
    assert carry_over(results, earlier, ["escalation"]) == ["locations", "memory"]
    assert results.workloads["escalation_2000_per_s"]["dispatchd_sqlite"]["fired_per_s"] == 2_000
    assert results.get("memory", "dispatchd_sqlite") == _memory()
    text = render(results, None, None)
    assert "**Carried over from an earlier run:** locations, memory" in text
    assert "| 1,000,000 | 850 MiB (in /dev/shm) |" in text
    assert "finished T0 (git 4a38d6a; 1-minute load 0.72 before and 0.54 after" in text


def test_a_partial_run_carries_nothing_from_a_run_of_another_kind() -> None:
    results = _results()
    earlier = {"memory": {"dispatchd_sqlite": {}}, "_run": {"run": {"mode": "quick"}}}
    assert carry_over(results, earlier, ["escalation"]) == []
    assert "memory" not in results.workloads
    assert "Carried over" not in render(results, None, None)


def test_figures_carried_twice_keep_the_run_they_were_measured_in() -> None:
    results = _results()
    earlier = {
        "memory": {"dispatchd_sqlite": _memory()},
        "nearest_10000": {},
        "_run": {
            "run": {"mode": "full", "finished_at": "T1"},
            "carried": [{"workloads": ["memory"], "finished_at": "T0", "git": "old"}],
        },
    }
    carry_over(results, earlier, ["escalation"])
    sources = {s["finished_at"]: s["workloads"] for s in results.meta["carried"]}
    assert sources == {"T0": ["memory"], "T1": ["nearest"]}


def test_results_keys_belong_to_the_workload_that_measures_them() -> None:
    assert workload_of("escalation_20000_per_s") == "escalation"
    assert workload_of(BACKLOG_KEY) == "escalation"
    assert workload_of(HIGHEST_RATE_KEY) == "escalation"
    assert workload_of("nearest_100000") == "nearest"
    assert workload_of("sse_1000_streams") == "sse"
    assert workload_of("location_updates") == "locations"
    assert workload_of("something_else") is None


def test_the_bounds_quote_the_figures_of_the_run_that_measured_them() -> None:
    results = _results()
    results.put("location_updates", "service_sqlite_1_callers", _locations())
    results.meta["carried"] = [
        {"workloads": ["locations"], "host_before": {"fsync_commits_per_s": 5_347.0}}
    ]
    add_ratios(results)
    text = render(results, None, None)
    assert "kept up, so 9,500/s (95% of the bare loop's 10,000/s at the same rate) is the" in text
    assert "one caller reached 1,000/s" in text
    assert "no update waits for a commit" in text
    assert "durable transaction" not in text


def _locations() -> dict[str, Any]:
    return {
        "callers": 1,
        "updates_per_s": 1_000.0,
        "latency_p50_ms": 0.9,
        "latency_p99_ms": 1.8,
        "errors": 0,
    }


def test_an_engine_started_late_by_its_seed_is_counted_only_while_it_ran() -> None:
    first_due = datetime(2026, 1, 1, tzinfo=UTC)
    commits = [(first_due + timedelta(seconds=s), 1_000) for s in (3.0, 4.5, 6.0)]
    late = first_due + timedelta(seconds=4)
    assert _full_rate_throughput(commits, first_due, 7.0, -1.0, late) == 2_000 / 3
    after_the_window = first_due + timedelta(seconds=20)
    assert _full_rate_throughput(commits, first_due, 7.0, -1.0, after_the_window) == -1.0


def test_a_run_whose_seed_overran_its_lead_says_so_beside_its_figures() -> None:
    results = _results()
    top = results.workloads["escalation_20000_per_s"]["dispatchd_sqlite"]
    top.update(slack_before_first_due_s=-20.0, seeded_in_s=40.7, window_s=5.0, ramp_s=2.0)
    text = render(results, None, None)
    assert "dispatchd on SQLite started 20.0 s after the first step was due" in text
    assert "this was a backlog, not a paced rate" in text


def test_the_machine_notes_name_the_busiest_moment_between_steps() -> None:
    results = _results()
    results.meta["steps"] = [
        {"step": "escalation 2,000/s · pgqueuer", "took_s": 19.1, "loadavg_1m_after": 3.1},
        {"step": "escalation 20,000/s · dispatchd on sqlite", "loadavg_1m_after": 10.97},
        {"step": "an older run's step", "took_s": 1.0},
    ]
    text = render(results, None, None)
    assert "Highest 1-minute load after a step: 10.97 (after escalation 20,000/s" in text
