"""Logging in and out, and opening accounts."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from dispatchd.api.auth import bearer_token
from dispatchd.api.deps import AdminActor, CurrentActor, DispatcherDep, Idempotency
from dispatchd.api.problems import Problem
from dispatchd.api.rendering import respond, with_view
from dispatchd.api.schemas import TokenRequest, TokenResponse, UserCreate, UserOut
from dispatchd.api.views import user_view
from dispatchd.domain.timefmt import rfc3339
from dispatchd.service.actors import SYSTEM
from dispatchd.service.commands import CreateUser, LogIn, LogOut
from dispatchd.service.handlers.accounts import IssuedToken

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=TokenResponse)
def log_in(body: TokenRequest, request: Request, dispatcher: DispatcherDep) -> TokenResponse:
    """Exchange username and password for a bearer token (attempts are rate-limited)."""
    client = request.client.host if request.client else "?"
    wait = request.app.state.login_limiter.hit(f"{body.username.lower()}|{client}")
    if wait:
        raise Problem(
            429,
            f"too many log-in attempts; wait {int(wait)} seconds before trying again",
            "rate-limited",
            headers={"Retry-After": str(int(wait))},
        )
    issued: IssuedToken = dispatcher.execute(LogIn(body.username, body.password), SYSTEM)
    return TokenResponse(
        access_token=issued.token,
        role=issued.user.role,
        installer_id=issued.user.installer_id,
        expires_at=rfc3339(issued.expires_at),
    )


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
