"""Attempts that invite guessing, counted in the database before the work they ask for.

Each counter takes its place with one atomic statement, inside the command's transaction: if
any counter is full, the whole command fails and nothing is counted anywhere. The first
attempt of a new window also clears away the windows that have ended.
"""

from __future__ import annotations

from dispatchd.domain.attempts import Counted, TooManyAttempts, window_at
from dispatchd.service.commands import CountAttempt, GiveBackAttempt
from dispatchd.service.context import Context
from dispatchd.service.unit_of_work import UnitOfWork


def count_attempt(cmd: CountAttempt, uow: UnitOfWork, ctx: Context) -> tuple[Counted, ...]:
    """Take a place in every counter, or refuse with the wait until the full one reopens."""
    counted: list[Counted] = []
    opened_a_window = False
    for limit, key in cmd.counters:
        window = window_at(ctx.now, limit.window_s)
        hits = uow.attempts.take(limit.scope, key, window, limit.limit)
        if hits is None:
            raise TooManyAttempts(limit.scope, window.seconds_left(ctx.now))
        opened_a_window = opened_a_window or hits == 1
        counted.append(Counted(limit.scope, key, window.start))
    if opened_a_window:
        uow.attempts.purge_ended(ctx.now)
    return tuple(counted)


def give_back_attempt(cmd: GiveBackAttempt, uow: UnitOfWork, ctx: Context) -> None:
    """Undo the places a successful attempt took; every failed attempt stays counted."""
    for place in cmd.counted:
        uow.attempts.give_back(place)
