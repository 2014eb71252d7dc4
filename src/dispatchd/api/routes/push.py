"""Web Push from the phone's side: the key to subscribe with, subscribing, unsubscribing."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from dispatchd.api.deps import DispatcherDep, Idempotency, InstallerActor
from dispatchd.api.json_response import JSONResponse
from dispatchd.api.problems import Problem
from dispatchd.api.rendering import no_content, respond, with_view
from dispatchd.api.requests import PushSubscriptionIn
from dispatchd.api.responses import PushSubscriptionOut, VapidPublicKey, push_subscription_view
from dispatchd.domain.errors import FieldError, InvalidInput
from dispatchd.notify.outbound import OutboundRefused
from dispatchd.notify.pinned_https import PinnedHttpsClient
from dispatchd.notify.webpush import public_key_of
from dispatchd.service.actors import Actor
from dispatchd.service.commands import SubscribePush, UnsubscribePush
from dispatchd.service.handlers.push import subscription_errors
from dispatchd.store.push import VAPID_PRIVATE_KEY, DeploymentSecrets

router = APIRouter(tags=["web push"])


@router.get("/push/vapid-public-key", response_model=VapidPublicKey)
def vapid_public_key(dispatcher: DispatcherDep) -> JSONResponse:
    """The deployment's VAPID public key: the browser's ``applicationServerKey``.

    Public by nature, so no login is needed to read it. The pair is made when the
    deployment starts (``PrepareDeployment``); reading it never writes.
    """
    with dispatcher.reading() as conn:
        private = DeploymentSecrets(conn).get(VAPID_PRIVATE_KEY)
    if private is None:
        raise Problem(503, "the server is still starting; try again in a moment", "starting")
    return JSONResponse(VapidPublicKey(public_key=public_key_of(private)))


@router.post("/me/push-subscriptions", status_code=201, response_model=PushSubscriptionOut)
def subscribe(
    body: PushSubscriptionIn,
    request: Request,
    actor: InstallerActor,
    dispatcher: DispatcherDep,
    idem: Idempotency,
) -> Response:
    """Register this phone for Web Push, so alerts ring even with the app closed.

    The endpoint's host is resolved here, before the command, and every address it has must
    be public: the server will POST to it later. (The lookup stays out of the transaction.)
    """
    _refuse_unusable(body, request.app.state.outbound, dispatcher.settings.push_host_rules())
    command = SubscribePush(_me(actor), body.endpoint, body.keys.p256dh, body.keys.auth)
    render = with_view(push_subscription_view, 201)
    return respond(dispatcher.execute_rendered(command, actor, render, idem))


@router.delete("/me/push-subscriptions/{subscription_id}", status_code=204)
def unsubscribe(
    subscription_id: str, actor: InstallerActor, dispatcher: DispatcherDep, idem: Idempotency
) -> Response:
    """Stop pushing to that phone."""
    command = UnsubscribePush(_me(actor), subscription_id)
    return respond(dispatcher.execute_rendered(command, actor, no_content, idem))


def _refuse_unusable(
    body: PushSubscriptionIn, outbound: PinnedHttpsClient, push_hosts: tuple[str, ...]
) -> None:
    errors = subscription_errors(body.endpoint, body.keys.p256dh, body.keys.auth, push_hosts)
    if not any(error.field == "endpoint" for error in errors):
        try:
            outbound.guard.destination(body.endpoint)
        except OutboundRefused as exc:
            errors.insert(0, FieldError("endpoint", str(exc), "endpoint_refused"))
    if errors:
        raise InvalidInput(errors)


def _me(actor: Actor) -> str:
    assert actor.installer_id is not None
    return actor.installer_id
