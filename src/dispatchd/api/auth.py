"""Who is calling: bearer tokens (or the web pages' session cookie) resolved to an actor.

A verified token is remembered in process memory for a short while with the *auth
generation* it was verified under: a one-row counter that every revocation, password or zone
change bumps in its own transaction. Each request still reads that counter (one primary-key
read, cheaper than the token with its user and zones), and a remembered token counts only
while the counter is unchanged, so a revocation in any process sharing the database stops the
token at the very next request everywhere. The generation is read before the token, so a
token is never remembered under a generation older than the state it was read in.
"""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request

from dispatchd.api.problems import UNAUTHENTICATED_HEADERS, Problem
from dispatchd.service.actors import Actor, Role
from dispatchd.service.handlers.accounts import token_hash
from dispatchd.service.unit_of_work import UnitOfWork

SESSION_COOKIE = "dispatchd_session"
CSRF_COOKIE = "dispatchd_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CACHE_FOR = timedelta(seconds=60)
MAX_CACHED = 10_000


@dataclass(frozen=True)
class _Verified:
    actor: Actor
    generation: int
    verified_at: datetime
    expires_at: datetime


class TokenCache:
    """Verified tokens (by hash) and the actor each stands for, valid for one auth generation."""

    def __init__(self, keep_for: timedelta = CACHE_FOR, size: int = MAX_CACHED) -> None:
        self._keep_for = keep_for
        self._size = size
        self._lock = threading.Lock()
        self._entries: dict[str, _Verified] = {}

    def get(self, hashed: str, generation: int, now: datetime) -> Actor | None:
        """The actor, if the token was verified under this generation, lately, and is unexpired."""
        entry = self._entries.get(hashed)
        if entry is None:
            return None
        if (
            entry.generation != generation
            or entry.expires_at <= now
            or not entry.verified_at <= now < entry.verified_at + self._keep_for
        ):
            with self._lock:
                self._entries.pop(hashed, None)
            return None
        return entry.actor

    def put(
        self, hashed: str, actor: Actor, generation: int, now: datetime, expires_at: datetime
    ) -> None:
        """Remember a token just verified; a full cache starts over rather than grow."""
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.clear()
            self._entries[hashed] = _Verified(actor, generation, now, expires_at)


def bearer_token(request: Request) -> str | None:
    """The caller's token: the ``Authorization: Bearer`` header, else the session cookie.

    A cookie-authenticated change must echo the CSRF cookie in a header, which another site's
    page cannot read.
    """
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is None:
        return None
    if request.method not in SAFE_METHODS:
        expected = request.cookies.get(CSRF_COOKIE, "")
        sent = request.headers.get(CSRF_HEADER, "")
        if not expected or not hmac.compare_digest(expected, sent):
            raise Problem(
                403,
                "a change made with the session cookie needs the X-CSRF-Token header "
                "carrying the dispatchd_csrf cookie's value",
                "csrf",
            )
    return cookie


def current_actor(request: Request) -> Actor:
    """The authenticated actor, or a 401 saying how to authenticate."""
    token = bearer_token(request)
    if not token:
        raise Problem(
            401,
            "no credentials: log in at POST /api/v1/auth/token and send "
            "'Authorization: Bearer <access_token>'",
            "unauthenticated",
            headers=UNAUTHENTICATED_HEADERS,
        )
    dispatcher = request.app.state.dispatcher
    cache: TokenCache = request.app.state.token_cache
    hashed = token_hash(token)
    now = dispatcher.clock.now()
    with dispatcher.reading() as conn:
        users = UnitOfWork(conn).users
        generation = users.auth_generation()
        cached = cache.get(hashed, generation, now)
        if cached is not None:
            return cached
        record = users.token(hashed)
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        raise Problem(
            401,
            "the token is unknown, expired or revoked; log in again",
            "unauthenticated",
            headers=UNAUTHENTICATED_HEADERS,
        )
    user = record.user
    role = Role(user.role)
    zones = frozenset(user.zone_ids) if role is not Role.ADMIN and user.zone_ids else None
    actor = Actor(user.id, role, user.installer_id, zones)
    cache.put(hashed, actor, generation, now, record.expires_at)
    return actor


def require(*roles: Role) -> object:
    """A dependency admitting only actors with one of ``roles`` (403 for the others)."""
    allowed = frozenset(roles)

    async def _check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if actor.role not in allowed:
            names = ", ".join(sorted(role.value for role in allowed))
            raise Problem(403, f"this needs the role {names}; you are {actor.role.value}")
        return actor

    return Depends(_check)
