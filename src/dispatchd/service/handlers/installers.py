"""Installers: registering them and keeping their work-state (duty, position, zones) current."""

from __future__ import annotations

from dispatchd.domain.errors import FieldError, InvalidInput, NotAllowed
from dispatchd.domain.ids import new_id
from dispatchd.domain.installers import Installer
from dispatchd.service.actors import Actor, Role
from dispatchd.service.commands import CreateInstaller, ReportLocation, SetDuty, UpdateInstaller
from dispatchd.service.context import Context
from dispatchd.service.errors import NotFound
from dispatchd.service.handlers.accounts import new_user
from dispatchd.service.offering import dispatch_waiting_orders
from dispatchd.service.phones import normalize_phone
from dispatchd.service.unit_of_work import UnitOfWork

MAX_LOCATION_AGE_S = 24 * 3600
MAX_LOCATION_FUTURE_S = 60


def create_installer(cmd: CreateInstaller, uow: UnitOfWork, ctx: Context) -> Installer:
    """Register an installer and their login; they start off duty."""
    phone = normalize_phone(cmd.phone, ctx.settings.phone_region)
    check_zones(uow, ctx.actor, list(cmd.zone_ids))
    record = Installer(
        id=new_id("ins"),
        name=cmd.name,
        phone=phone,
        capacity=cmd.capacity,
        skills=sorted(set(cmd.skills)),
        on_duty=False,
        zone_ids=list(dict.fromkeys(cmd.zone_ids)),
        created_at=ctx.now,
    )
    uow.installers.add(record)
    new_user(uow, ctx, cmd.username, cmd.password, Role.INSTALLER, installer_id=record.id)
    return record


def update_installer(cmd: UpdateInstaller, uow: UnitOfWork, ctx: Context) -> Installer:
    """Change an installer's details; more room or more zones may free waiting orders."""
    installer = visible_installer(uow, ctx.actor, cmd.installer_id)
    changes = dict(cmd.changes)
    emptied = sorted(field for field, value in changes.items() if value is None)
    if emptied:
        raise InvalidInput(
            [
                FieldError(field, "cannot be emptied; leave it out to keep it", "cannot_empty")
                for field in emptied
            ]
        )
    if "phone" in changes:
        changes["phone"] = normalize_phone(changes["phone"], ctx.settings.phone_region)
    if "zone_ids" in changes:
        check_zones(uow, ctx.actor, list(changes["zone_ids"]))
        changes["zone_ids"] = list(dict.fromkeys(changes["zone_ids"]))
    if "skills" in changes:
        changes["skills"] = sorted(set(changes["skills"]))
    uow.installers.update(installer.id, changes, ctx.now)
    updated = uow.installers.get(installer.id)
    assert updated is not None
    if updated.on_duty:
        dispatch_waiting_orders(uow, updated.zone_ids, ctx)
    return updated


def set_duty(cmd: SetDuty, uow: UnitOfWork, ctx: Context) -> Installer:
    """On duty, the installer can be offered jobs at once; off duty, no new offers come."""
    installer = visible_installer(uow, ctx.actor, cmd.installer_id)
    uow.installers.update(installer.id, {"on_duty": cmd.on_duty}, ctx.now)
    if cmd.on_duty:
        dispatch_waiting_orders(uow, installer.zone_ids, ctx)
    updated = uow.installers.get(installer.id)
    assert updated is not None
    return updated


def report_location(cmd: ReportLocation, uow: UnitOfWork, ctx: Context) -> None:
    """Store the phone's position; a report older than the one known is ignored."""
    installer = visible_installer(uow, ctx.actor, cmd.installer_id)
    at = cmd.at or ctx.now
    if (at - ctx.now).total_seconds() > MAX_LOCATION_FUTURE_S:
        raise InvalidInput(
            [FieldError("at", "lies in the future; send the time of the fix", "fix_in_future")]
        )
    if (ctx.now - at).total_seconds() > MAX_LOCATION_AGE_S:
        raise InvalidInput(
            [FieldError("at", "is more than a day old; send a fresh position", "fix_too_old")]
        )
    uow.installers.set_location(installer.id, cmd.location, at, cmd.accuracy_m, ctx.now)


def check_zones(uow: UnitOfWork, actor: Actor, zone_ids: list[str]) -> None:
    """Every zone must exist, and a zone-limited manager may only use their own zones."""
    unknown = sorted(set(zone_ids) - uow.zones.existing(zone_ids))
    if unknown:
        raise InvalidInput(
            [
                FieldError(
                    "zone_ids",
                    f"unknown zones: {', '.join(unknown)}; create them first",
                    "unknown_zone",
                    {"zones": ", ".join(unknown)},
                )
            ]
        )
    outside = sorted(z for z in zone_ids if not actor.sees_zone(z))
    if outside:
        raise NotAllowed(f"zones outside your responsibility: {', '.join(outside)}")


def visible_installer(uow: UnitOfWork, actor: Actor, installer_id: str) -> Installer:
    """The installer if the actor may see them (themself, or in a manager's zones), else 404."""
    installer = uow.installers.get(installer_id)
    if installer is None or not may_see_installer(actor, installer):
        raise NotFound("installer", installer_id)
    return installer


def may_see_installer(actor: Actor, installer: Installer) -> bool:
    """Installers see only themselves; managers see installers serving one of their zones."""
    if actor.role is Role.INSTALLER:
        return actor.installer_id == installer.id
    if actor.zone_ids is None:
        return True
    return bool(actor.zone_ids & set(installer.zone_ids))
