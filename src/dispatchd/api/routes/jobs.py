"""The installer's job on site: start, completion with photo and code; the manager's follow-up."""

from __future__ import annotations

from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, File, Form, Response, UploadFile
from fastapi.responses import FileResponse
from starlette.requests import Request

from dispatchd.api.deps import (
    ConsoleActor,
    CurrentActor,
    DispatcherDep,
    Idempotency,
    InstallerActor,
)
from dispatchd.api.problems import TYPE_BASE, Problem, ProblemOut
from dispatchd.api.rendering import Renderer, as_order, respond
from dispatchd.api.requests import FollowUpRequest, ServiceCode, ShortText
from dispatchd.api.responses import OrderOut
from dispatchd.domain.orders import Order
from dispatchd.service.actors import Actor
from dispatchd.service.commands import CompleteJob, ResolveFollowUp, StartJob
from dispatchd.service.errors import NotFound
from dispatchd.service.handlers.jobs import ServiceCodeRejected, completable_order
from dispatchd.service.handlers.orders import may_see_order
from dispatchd.service.outcome import Outcome
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store.photos import (
    ImageTooLarge,
    NotAnImage,
    PhotoStore,
    PreparedPhoto,
    StagedPhoto,
)

router = APIRouter(tags=["jobs"])
log = structlog.get_logger(__name__)

READ_CHUNK = 1024 * 1024


@router.post("/orders/{order_id}/start", response_model=OrderOut)
def start_job(
    order_id: str, actor: InstallerActor, dispatcher: DispatcherDep, idem: Idempotency
) -> Response:
    """The assigned installer reports the start of installation (S303)."""
    public_url = dispatcher.settings.resolved_public_url()
    command = StartJob(order_id)
    return respond(dispatcher.execute_rendered(command, actor, as_order(actor, public_url), idem))


@router.post(
    "/orders/{order_id}/complete",
    response_model=OrderOut,
    responses={413: {"description": "photo too large"}, 415: {"description": "not an image"}},
)
def complete_job(
    order_id: str,
    request: Request,
    actor: InstallerActor,
    dispatcher: DispatcherDep,
    idem: Idempotency,
    photo: Annotated[UploadFile, File(description="JPEG, PNG, WebP or HEIC photo of the work")],
    service_code: Annotated[ServiceCode | None, Form()] = None,
    notes: Annotated[ShortText | None, Form()] = None,
) -> Response:
    """Send the photo, the completion and the customer's service code (S304).

    No code: completed and flagged for a manager's call. Wrong code: 422 with the attempts
    left; after five the code locks and a completion without it is flagged as a mismatch.

    Who may complete which order is settled before the photo is read (a retry with its
    ``Idempotency-Key`` is answered before that too); the photo is decoded only then, and its
    files get their names only after the completion has committed.
    """
    stored_answer = dispatcher.stored_answer(actor, idem)
    if stored_answer is not None:
        return respond(stored_answer)
    with dispatcher.reading() as conn:
        completable_order(UnitOfWork(conn), actor, order_id, for_update=False)
    photos: PhotoStore = request.app.state.photos
    prepared = _prepared(_read_limited(photo, dispatcher.settings.max_photo_bytes))
    code = service_code.strip() if service_code and service_code.strip() else None
    command = CompleteJob(order_id, prepared.stored, code, notes.strip() if notes else None)
    public_url = dispatcher.settings.resolved_public_url()
    staged = photos.stage(prepared)
    try:
        outcome = dispatcher.execute_rendered(command, actor, _completion(actor, public_url), idem)
    except BaseException:
        staged.discard()
        raise
    if outcome.status_code == 200:
        _promote(staged)
    else:
        staged.discard()
    return respond(outcome)


def _prepared(upload: bytes) -> PreparedPhoto:
    try:
        return PhotoStore.prepare(upload)
    except NotAnImage as exc:
        raise Problem(
            415, f"photo: {exc}; send a JPEG, PNG, WebP or HEIC photo", "not-an-image"
        ) from exc
    except ImageTooLarge as exc:
        raise Problem(413, f"photo: {exc}; send a smaller photo", "too-large") from exc


def _promote(staged: StagedPhoto) -> None:
    """Move a committed completion's photo into place; if that fails the next start's sweep
    does it (the order refers to the photo), so the committed answer still stands."""
    try:
        staged.promote()
    except OSError:
        log.exception("completion photo could not be moved into place; the next start will")


def _read_limited(photo: UploadFile, limit: int) -> bytes:
    chunks = []
    size = 0
    while chunk := photo.file.read(READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise Problem(
                413,
                f"photo is larger than {limit // (1024 * 1024)} MiB; send a smaller one",
                "too-large",
            )
        chunks.append(chunk)
    if not size:
        raise Problem(415, "photo is empty; send a JPEG, PNG, WebP or HEIC photo", "not-an-image")
    return b"".join(chunks)


def _completion(actor: Actor, public_url: str) -> Renderer:
    render_order = as_order(actor, public_url)

    def render(uow: UnitOfWork, result: Order | ServiceCodeRejected) -> Outcome:
        if isinstance(result, ServiceCodeRejected):
            return Outcome(422, _wrong_code_problem(result.attempts_left))
        return render_order(uow, result)

    return render


def _wrong_code_problem(attempts_left: int) -> ProblemOut:
    if attempts_left:
        detail = (
            f"the service code is wrong; {attempts_left} attempts left — ask the customer for "
            "the code in their SMS, or complete without it"
        )
    else:
        detail = (
            "the service code is wrong and is now locked; complete without it and a manager "
            "will call the customer"
        )
    return {
        "type": TYPE_BASE + "wrong-service-code",
        "title": "Invalid input",
        "status": 422,
        "detail": detail,
        "errors": [
            {
                "field": "service_code",
                "message": "does not match the customer's code",
                "type": "wrong_service_code",
                "ctx": {"attempts_left": attempts_left},
            }
        ],
        "attempts_left": attempts_left,
    }


@router.get(
    "/orders/{order_id}/photo",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def get_photo(
    order_id: str,
    request: Request,
    actor: CurrentActor,
    dispatcher: DispatcherDep,
    size: Literal["full", "thumb"] = "full",
) -> FileResponse:
    """The completion photo, for managers of the zone and the installer who took it."""
    with dispatcher.reading() as conn:
        order = UnitOfWork(conn).orders.get(order_id, for_update=False)
    allowed = order is not None and (
        (actor.is_console and may_see_order(actor, order))
        or (actor.installer_id is not None and order.installer_id == actor.installer_id)
    )
    if order is None or not allowed:
        raise NotFound("order", order_id)
    if order.photo_key is None:
        raise Problem(404, f"order {order_id} has no photo yet", "no-photo")
    photos: PhotoStore = request.app.state.photos
    return FileResponse(
        photos.path(order.photo_key, thumb=size == "thumb"),
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/orders/{order_id}/follow-up", response_model=OrderOut)
def resolve_follow_up(
    order_id: str,
    body: FollowUpRequest,
    actor: ConsoleActor,
    dispatcher: DispatcherDep,
    idem: Idempotency,
) -> Response:
    """Record the outcome of the call to the customer; the flag is resolved."""
    public_url = dispatcher.settings.resolved_public_url()
    command = ResolveFollowUp(order_id, body.outcome, body.note)
    return respond(dispatcher.execute_rendered(command, actor, as_order(actor, public_url), idem))
