"""Fixed windows for counting attempts: which window a moment is in, and how long to wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatchd.domain.attempts import AttemptLimit, window_at
from dispatchd.service.clock import FakeClock

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_a_window_starts_on_a_whole_multiple_of_its_length_since_the_epoch() -> None:
    window = window_at(datetime(2026, 11, 25, 9, 0, 42, 500_000, tzinfo=UTC), 60)
    assert window.start == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert window.end == datetime(2026, 11, 25, 9, 1, tzinfo=UTC)


def test_every_moment_of_a_window_maps_to_the_same_window() -> None:
    clock = FakeClock(START)
    first = window_at(clock.now(), 60)
    moments = [clock.advance(7.5) for _ in range(7)]
    assert {window_at(moment, 60) for moment in moments} == {first}
    assert window_at(clock.advance(7.5), 60).start == first.end


def test_the_last_microsecond_of_a_window_still_belongs_to_it() -> None:
    window = window_at(START, 60)
    assert window_at(window.end - timedelta(microseconds=1), 60) == window
    assert window_at(window.end, 60).start == window.end


def test_windows_of_other_lengths_line_up_with_their_own_multiples() -> None:
    moment = datetime(2026, 11, 25, 9, 7, 30, tzinfo=UTC)
    assert window_at(moment, 300).start == datetime(2026, 11, 25, 9, 5, tzinfo=UTC)
    assert window_at(moment, 3600).start == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_the_wait_is_the_whole_seconds_left_in_the_window_rounded_up() -> None:
    clock = FakeClock(START)
    window = window_at(clock.now(), 60)
    assert window.seconds_left(clock.now()) == 60
    assert window.seconds_left(clock.advance(0.2)) == 60
    assert window.seconds_left(clock.advance(44.8)) == 15
    assert window.seconds_left(clock.advance(14.5)) == 1


def test_the_wait_is_never_less_than_a_second() -> None:
    window = window_at(START, 60)
    assert window.seconds_left(window.end - timedelta(microseconds=1)) == 1
    assert window.seconds_left(window.end) == 1


def test_a_wait_never_exceeds_the_window_so_a_lock_out_always_ends() -> None:
    clock = FakeClock(START + timedelta(seconds=13))
    for _ in range(500):
        moment = clock.advance(0.37)
        window = window_at(moment, 60)
        assert 1 <= window.seconds_left(moment) <= 60
        assert moment + timedelta(seconds=window.seconds_left(moment)) >= window.end


def test_a_limit_refuses_a_window_or_a_count_below_one() -> None:
    with pytest.raises(ValueError, match="limit >= 1"):
        AttemptLimit("login-address", 0, 60)
    with pytest.raises(ValueError, match="window_s >= 1"):
        AttemptLimit("login-address", 10, 0)
