"""Web sessions: the browser pages log in with a cookie instead of a bearer header.

``EventSource`` cannot send an ``Authorization`` header, so the pages keep the token in an
HttpOnly, SameSite=Strict cookie that scripts cannot read; changes made with it must echo the
readable CSRF cookie in ``X-CSRF-Token`` (checked in :func:`dispatchd.api.auth.bearer_token`).
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime

from fastapi import APIRouter, Request, Response

from dispatchd.api.auth import CSRF_COOKIE, SESSION_COOKIE, bearer_token, current_actor
from dispatchd.api.deps import CurrentActor, DispatcherDep
from dispatchd.api.json_response import JSONResponse
from dispatchd.api.problems import Problem
from dispatchd.api.requests import TokenRequest
from dispatchd.api.responses import SessionOut, TokenResponse, session_view
from dispatchd.api.routes.auth import issue_token
from dispatchd.service.commands import LogOut
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.handlers.accounts import token_hash
from dispatchd.service.unit_of_work import UnitOfWork

router = APIRouter(tags=["auth"])


@router.post("/auth/session", response_model=TokenResponse)
def open_session(body: TokenRequest, request: Request, dispatcher: DispatcherDep) -> Response:
    """Log in like ``/auth/token`` and keep the token in an HttpOnly session cookie."""
    issued = issue_token(body, request, dispatcher)
    response = JSONResponse(issued)
    expires_at = datetime.fromisoformat(issued["expires_at"])
    max_age = max(0, int((expires_at - dispatcher.clock.now()).total_seconds()))
    secure = _secure(request, dispatcher)
    response.set_cookie(
        SESSION_COOKIE,
        issued["access_token"],
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(32),
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=False,
        samesite="strict",
    )
    return response


@router.get("/auth/session", response_model=SessionOut)
def who_am_i(request: Request, actor: CurrentActor, dispatcher: DispatcherDep) -> JSONResponse:
    """Who the session (or bearer token) belongs to, so a reloaded page knows its user."""
    token = bearer_token(request)
    assert token is not None
    with dispatcher.reading() as conn:
        record = UnitOfWork(conn).users.token(token_hash(token))
    if record is None:
        raise Problem(401, "the session has ended; log in again", "unauthenticated")
    view = session_view(record.user.username, actor, record.expires_at, dispatcher.clock.now())
    return JSONResponse(view)


@router.delete("/auth/session", status_code=204)
def close_session(request: Request, dispatcher: DispatcherDep) -> Response:
    """Revoke the session's token (if it still works) and clear both cookies."""
    token = bearer_token(request)
    if token:
        with contextlib.suppress(Problem):
            dispatcher.execute(LogOut(token), current_actor(request))
    response = Response(status_code=204)
    secure = _secure(request, dispatcher)
    for name, httponly in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(name, path="/", secure=secure, httponly=httponly, samesite="strict")
    return response


def _secure(request: Request, dispatcher: Dispatcher) -> bool:
    """Mark cookies Secure whenever the deployment is reached over https."""
    public_url = dispatcher.settings.resolved_public_url()
    return request.url.scheme == "https" or public_url.startswith("https://")
