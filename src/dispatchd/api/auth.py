"""Who is calling: bearer tokens (or the web pages' session cookie) resolved to an actor.

Every lookup reads the token's row, so a revoked token stops working at once in every process.
"""

from __future__ import annotations

import hmac
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
    with dispatcher.reading() as conn:
        record = UnitOfWork(conn).users.token(token_hash(token))
    now = dispatcher.clock.now()
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
    return Actor(user.id, role, user.installer_id, zones)


def require(*roles: Role) -> object:
    """A dependency admitting only actors with one of ``roles`` (403 for the others)."""
    allowed = frozenset(roles)

    def _check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if actor.role not in allowed:
            names = ", ".join(sorted(role.value for role in allowed))
            raise Problem(403, f"this needs the role {names}; you are {actor.role.value}")
        return actor

    return Depends(_check)
