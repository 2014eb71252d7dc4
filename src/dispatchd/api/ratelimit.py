"""Rate limits on the attempts that invite guessing: log-ins and tracking-link lookups.

The counters live in the database (see :mod:`dispatchd.store.attempts`), so every process
sharing it enforces one limit together. Only these attempts write a counter; every other
request reads and writes nothing for the limiter.

- A log-in counts against its client address and against the username, both checked before
  the password is (so a refused attempt costs no password hashing). A log-in that succeeds
  gives its places back: only failed log-ins add up, so neither an office of installers
  behind one address nor the account owner uses the limit up, and a success of one's own
  account never clears the failures counted before it.
- A tracking lookup counts against its client address and against the link, found or not
  (the page polls every 30 seconds, far below either limit).
- A customer's rating or reschedule request counts against its client address and its link,
  each with a tighter limit of its own: they write, and a person sends a handful at most.

A full counter answers ``429`` with ``Retry-After``: the seconds until its window (one minute
unless ``DISPATCHD_RATE_LIMIT_WINDOW_S`` says otherwise) ends. A lock-out therefore never
outlasts its window, however long someone keeps trying.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from dispatchd.api.client_address import Network, client_address, parse_trusted_proxies
from dispatchd.api.problems import Problem
from dispatchd.config import Settings
from dispatchd.domain.attempts import AttemptLimit, Counted, TooManyAttempts
from dispatchd.service.actors import SYSTEM
from dispatchd.service.commands import CountAttempt, GiveBackAttempt
from dispatchd.service.dispatcher import Dispatcher


@dataclass(frozen=True)
class AttemptLimits:
    """The deployment's limits, and whose ``X-Forwarded-For`` to believe in applying them."""

    login_by_address: AttemptLimit
    login_by_account: AttemptLimit
    tracking_by_address: AttemptLimit
    tracking_by_link: AttemptLimit
    customer_by_address: AttemptLimit
    customer_by_link: AttemptLimit
    trusted_proxies: tuple[Network, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> AttemptLimits:
        """The limits the settings configure, all over the same window (a minute by default)."""
        window = settings.rate_limit_window_s
        return cls(
            AttemptLimit("login-address", settings.login_attempts_per_minute, window),
            AttemptLimit("login-account", settings.login_attempts_per_account_per_minute, window),
            AttemptLimit("track-address", settings.tracking_requests_per_minute, window),
            AttemptLimit("track-link", settings.tracking_requests_per_link_per_minute, window),
            AttemptLimit("customer-address", settings.customer_requests_per_minute, window),
            AttemptLimit("customer-link", settings.customer_requests_per_link_per_minute, window),
            parse_trusted_proxies(settings.trusted_proxies),
        )


def count_log_in(request: Request, dispatcher: Dispatcher, username: str) -> tuple[Counted, ...]:
    """Count a log-in attempt by address and by account, or refuse it with a ``429``."""
    limits = _limits(request)
    counters = (
        (limits.login_by_address, client_address(request, limits.trusted_proxies)),
        (limits.login_by_account, username.lower()),
    )
    return _count(dispatcher, counters, "log-in attempts")


def count_tracking_lookup(request: Request, dispatcher: Dispatcher, token: str) -> None:
    """Count a tracking lookup by address and by link, or refuse it with a ``429``."""
    limits = _limits(request)
    counters = (
        (limits.tracking_by_address, client_address(request, limits.trusted_proxies)),
        (limits.tracking_by_link, token),
    )
    _count(dispatcher, counters, "tracking requests")


def count_customer_request(request: Request, dispatcher: Dispatcher, token: str) -> None:
    """Count a customer's rating or reschedule request by address and by link, or refuse it
    with a ``429``: these write, so their limits are tighter than a lookup's."""
    limits = _limits(request)
    counters = (
        (limits.customer_by_address, client_address(request, limits.trusted_proxies)),
        (limits.customer_by_link, token),
    )
    _count(dispatcher, counters, "requests from this tracking link")


def give_back(dispatcher: Dispatcher, counted: tuple[Counted, ...]) -> None:
    """The attempt succeeded: its places no longer count against anyone."""
    dispatcher.execute(GiveBackAttempt(counted), SYSTEM)


def _limits(request: Request) -> AttemptLimits:
    limits: AttemptLimits = request.app.state.attempt_limits
    return limits


def _count(
    dispatcher: Dispatcher, counters: tuple[tuple[AttemptLimit, str], ...], what: str
) -> tuple[Counted, ...]:
    try:
        counted: tuple[Counted, ...] = dispatcher.execute(CountAttempt(counters), SYSTEM)
    except TooManyAttempts as exc:
        wait = exc.retry_after_s
        raise Problem(
            429,
            f"too many {what}; wait {wait} seconds before trying again",
            "rate-limited",
            headers={"Retry-After": str(wait)},
        ) from None
    return counted
