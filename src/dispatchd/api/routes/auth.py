"""Logging in and out, and opening accounts."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response

from dispatchd.api.auth import bearer_token
from dispatchd.api.deps import AdminActor, CurrentActor, DispatcherDep, Idempotency
from dispatchd.api.json_response import JSONResponse
from dispatchd.api.ratelimit import count_log_in, give_back
from dispatchd.api.rendering import respond, with_view
from dispatchd.api.requests import TokenRequest, UserCreate, UserUpdate
from dispatchd.api.responses import TokenResponse, UserList, UserOut, token_view, user_view
from dispatchd.service.actors import SYSTEM
from dispatchd.service.commands import CreateUser, LimitUserZones, LogIn, LogOut
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.handlers.accounts import IssuedToken
from dispatchd.service.unit_of_work import UnitOfWork

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=TokenResponse)
def log_in(body: TokenRequest, request: Request, dispatcher: DispatcherDep) -> JSONResponse:
    """Exchange username and password for a bearer token (attempts are rate-limited)."""
    return JSONResponse(issue_token(body, request, dispatcher))


def issue_token(body: TokenRequest, request: Request, dispatcher: Dispatcher) -> TokenResponse:
    """Check the password, within the log-in rate limit, and issue a token for the user."""
    counted = count_log_in(request, dispatcher, body.username)
    issued: IssuedToken = dispatcher.execute(LogIn(body.username, body.password), SYSTEM)
    give_back(dispatcher, counted)
    return token_view(issued)


@router.post("/auth/logout", status_code=204)
def log_out(request: Request, actor: CurrentActor, dispatcher: DispatcherDep) -> Response:
    """Revoke the token used for this request; it stops working at once."""
    token = bearer_token(request)
    assert token is not None
    dispatcher.execute(LogOut(token), actor)
    return Response(status_code=204)


@router.post("/users", status_code=201, response_model=UserOut)
def create_user(
    body: UserCreate, actor: AdminActor, dispatcher: DispatcherDep, idem: Idempotency
) -> Response:
    """Open an account for a manager (optionally limited to zones), admin or integration."""
    command = CreateUser(body.username, body.password, body.role, tuple(body.zone_ids))
    return respond(dispatcher.execute_rendered(command, actor, with_view(user_view, 201), idem))


@router.get("/users", response_model=UserList)
def list_users(
    actor: AdminActor,
    dispatcher: DispatcherDep,
    role: Literal["admin", "manager", "integration", "installer"] | None = None,
) -> JSONResponse:
    """Every account by username, with its role and zone limits (never a password)."""
    with dispatcher.reading() as conn:
        users = UnitOfWork(conn).users.all(role)
    return JSONResponse(UserList(items=[user_view(user) for user in users]))


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(
    user_id: str, body: UserUpdate, actor: AdminActor, dispatcher: DispatcherDep, idem: Idempotency
) -> Response:
    """Change the zones a manager or integration is limited to (an empty list lifts the limit)."""
    zone_ids = None if body.zone_ids is None else tuple(body.zone_ids)
    command = LimitUserZones(user_id, zone_ids)
    return respond(dispatcher.execute_rendered(command, actor, with_view(user_view), idem))
