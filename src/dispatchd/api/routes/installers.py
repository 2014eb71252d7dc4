"""Installers as managers see them: registration, work-state and ledger."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from dispatchd.api.deps import ConsoleActor, CurrentActor, DispatcherDep, Idempotency
from dispatchd.api.json_response import JSONResponse
from dispatchd.api.rendering import Renderer, respond, with_view
from dispatchd.api.requests import InstallerCreate, InstallerUpdate, LedgerEntryRequest
from dispatchd.api.responses import (
    InstallerList,
    InstallerOut,
    LedgerEntryOut,
    LedgerOut,
    installer_view,
    ledger_entry_view,
    ledger_view,
)
from dispatchd.domain.installers import Installer
from dispatchd.service.actors import Actor
from dispatchd.service.commands import BookLedgerEntry, CreateInstaller, UpdateInstaller
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.errors import NotFound
from dispatchd.service.handlers.installers import may_see_installer, visible_installer
from dispatchd.service.outcome import Outcome
from dispatchd.service.positions import Positions
from dispatchd.service.unit_of_work import UnitOfWork

router = APIRouter(tags=["installers"])


def installer_views(
    uow: UnitOfWork, records: list[Installer], positions: Positions
) -> list[InstallerOut]:
    """Installers with workload, balance and rating, counted in three queries for the list.

    Each shows the newest position this process knows, saved or not yet saved.
    """
    records = [positions.fresher(record) for record in records]
    ids = [record.id for record in records]
    workload = uow.installers.active_jobs(ids)
    balances = uow.installers.balances(ids)
    ratings = uow.installers.ratings(ids)
    return [installer_view(r, workload[r.id], balances[r.id], ratings.get(r.id)) for r in records]


def as_installer(positions: Positions, status_code: int = 200) -> Renderer:
    """Render an installer with their current workload and balance."""

    def render(uow: UnitOfWork, record: Installer) -> Outcome:
        return Outcome(status_code, installer_views(uow, [record], positions)[0])

    return render


@router.post("/installers", status_code=201, response_model=InstallerOut)
def create_installer(
    body: InstallerCreate, actor: ConsoleActor, dispatcher: DispatcherDep, idem: Idempotency
) -> Response:
    """Register an installer with their login; they start off duty."""
    command = CreateInstaller(
        name=body.name,
        phone=body.phone,
        zone_ids=tuple(body.zone_ids),
        capacity=body.capacity,
        skills=tuple(body.skills),
        username=body.username,
        password=body.password,
    )
    return respond(
        dispatcher.execute_rendered(command, actor, as_installer(dispatcher.positions, 201), idem)
    )


@router.get("/installers", response_model=InstallerList)
def list_installers(
    actor: ConsoleActor,
    dispatcher: DispatcherDep,
    zone_id: str | None = Query(default=None, max_length=64),
    on_duty: bool | None = None,
) -> JSONResponse:
    """Installers the caller may see, with their workload and balance."""
    zones: list[str] | None = [zone_id] if zone_id else None
    if actor.zone_ids is not None:
        zones = sorted(actor.zone_ids & set(zones)) if zones else sorted(actor.zone_ids)
    with dispatcher.reading() as conn:
        uow = UnitOfWork(conn)
        records = uow.installers.find(zone_ids=zones, on_duty=on_duty)
        views = installer_views(uow, records, dispatcher.positions)
    return JSONResponse(InstallerList(items=views))


@router.get("/installers/{installer_id}", response_model=InstallerOut)
def get_installer(
    installer_id: str, actor: CurrentActor, dispatcher: DispatcherDep
) -> JSONResponse:
    """One installer (installers may read only themselves)."""
    return JSONResponse(installer_for(dispatcher, actor, installer_id))


def installer_for(dispatcher: Dispatcher, actor: Actor, installer_id: str) -> InstallerOut:
    """The installer as the actor may see them (installers: only themselves, else 404)."""
    with dispatcher.reading() as conn:
        uow = UnitOfWork(conn)
        record = visible_installer(uow, actor, installer_id)
        return installer_views(uow, [record], dispatcher.positions)[0]


@router.patch("/installers/{installer_id}", response_model=InstallerOut)
def update_installer(
    installer_id: str,
    body: InstallerUpdate,
    actor: ConsoleActor,
    dispatcher: DispatcherDep,
    idem: Idempotency,
) -> Response:
    """Change an installer's details; only the fields sent change."""
    command = UpdateInstaller(installer_id, body.model_dump(exclude_unset=True))
    return respond(
        dispatcher.execute_rendered(command, actor, as_installer(dispatcher.positions), idem)
    )


@router.get("/installers/{installer_id}/ledger", response_model=LedgerOut)
def get_ledger(
    installer_id: str,
    actor: CurrentActor,
    dispatcher: DispatcherDep,
    limit: int = Query(default=100, ge=1, le=500),
) -> JSONResponse:
    """An installer's penalties and other bookings, newest first, and their balance."""
    return JSONResponse(ledger_for(dispatcher, actor, installer_id, limit))


def ledger_for(dispatcher: Dispatcher, actor: Actor, installer_id: str, limit: int) -> LedgerOut:
    """The ledger the actor may see (installers: only their own, else 404)."""
    with dispatcher.reading() as conn:
        uow = UnitOfWork(conn)
        record = uow.installers.get(installer_id)
        if record is None or not may_see_installer(actor, record):
            raise NotFound("installer", installer_id)
        entries = uow.ledger.entries(installer_id, limit)
        balance = uow.ledger.balance(installer_id)
    return ledger_view(entries, balance, dispatcher.settings.currency)


@router.post("/installers/{installer_id}/ledger", status_code=201, response_model=LedgerEntryOut)
def book_ledger_entry(
    installer_id: str,
    body: LedgerEntryRequest,
    actor: ConsoleActor,
    dispatcher: DispatcherDep,
    idem: Idempotency,
) -> Response:
    """A manager's entry: ``penalty_waived`` reverses the penalty ``entry_id`` (equal and
    opposite, at most once: 409 after), ``adjustment`` corrects the balance with a note.

    Entries are never edited or deleted.
    """
    command = BookLedgerEntry(installer_id, body.amount, body.reason, body.note, body.entry_id)
    return respond(
        dispatcher.execute_rendered(command, actor, with_view(ledger_entry_view, 201), idem)
    )
