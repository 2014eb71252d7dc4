"""Accounts: opening them, logging in and out."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dispatchd.domain.errors import FieldError, InvalidInput, NotAllowed
from dispatchd.domain.ids import new_id
from dispatchd.service.actors import Role
from dispatchd.service.commands import CreateUser, LimitUserZones, LogIn, LogOut
from dispatchd.service.context import Context
from dispatchd.service.errors import Conflict, NotFound, Unauthenticated
from dispatchd.service.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store.users import UserRecord


class BadCredentials(Unauthenticated):
    """Username or password wrong (deliberately not saying which)."""


@dataclass(frozen=True)
class IssuedToken:
    """A fresh bearer token and whose it is."""

    token: str
    user: UserRecord
    expires_at: datetime


def token_hash(token: str) -> str:
    """What is stored for a token: its SHA-256 (tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def password_errors(password: str, field: str = "password") -> list[FieldError]:
    """Why a new password is unacceptable, if it is."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return [
            FieldError(
                field,
                f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long",
                "string_length",
                {"min_length": MIN_PASSWORD_LENGTH, "max_length": MAX_PASSWORD_LENGTH},
            )
        ]
    return []


def new_user(
    uow: UnitOfWork,
    ctx: Context,
    username: str,
    password: str,
    role: Role,
    installer_id: str | None = None,
    zone_ids: tuple[str, ...] = (),
) -> UserRecord:
    """Create an account after checking the username is free and the password acceptable."""
    errors = password_errors(password)
    if errors:
        raise InvalidInput(errors)
    if uow.users.by_username(username) is not None:
        raise Conflict(
            f"username {username!r} is taken; choose another",
            [FieldError("username", "is taken; choose another", "username_taken")],
        )
    user = UserRecord(
        id=new_id("usr"),
        username=username,
        password_hash=hash_password(password),
        role=role.value,
        installer_id=installer_id,
        created_at=ctx.now,
        zone_ids=zone_ids,
    )
    uow.users.add(user)
    return user


def create_user(cmd: CreateUser, uow: UnitOfWork, ctx: Context) -> UserRecord:
    """An admin opens an account for a manager, another admin or an integration."""
    if ctx.actor.role is not Role.ADMIN:
        raise NotAllowed("only an admin can create accounts")
    _check_zones(uow, cmd.zone_ids)
    return new_user(uow, ctx, cmd.username, cmd.password, Role(cmd.role), None, cmd.zone_ids)


def limit_user_zones(cmd: LimitUserZones, uow: UnitOfWork, ctx: Context) -> UserRecord:
    """An admin sets which zones a manager or integration steers; none means all of them.

    Admins see everything and installers their own work, so neither can be limited.
    """
    if ctx.actor.role is not Role.ADMIN:
        raise NotAllowed("only an admin can change accounts")
    user = uow.users.by_id(cmd.user_id)
    if user is None:
        raise NotFound("user", cmd.user_id)
    if user.role not in (Role.MANAGER.value, Role.INTEGRATION.value):
        raise InvalidInput(
            [
                FieldError(
                    "zone_ids",
                    f"a user with role {user.role} cannot be limited to zones; only managers "
                    "and integrations can",
                    "role_not_limitable",
                    {"role": user.role},
                )
            ]
        )
    if cmd.zone_ids is None:
        return user
    _check_zones(uow, cmd.zone_ids)
    uow.users.set_zones(user.id, cmd.zone_ids)
    return replace(user, zone_ids=tuple(sorted(dict.fromkeys(cmd.zone_ids))))


def _check_zones(uow: UnitOfWork, zone_ids: tuple[str, ...]) -> None:
    missing = sorted(set(zone_ids) - uow.zones.existing(list(zone_ids)))
    if missing:
        raise InvalidInput(
            [
                FieldError(
                    "zone_ids",
                    f"unknown zones: {', '.join(missing)}",
                    "unknown_zone",
                    {"zones": ", ".join(missing)},
                )
            ]
        )


def log_in(cmd: LogIn, uow: UnitOfWork, ctx: Context) -> IssuedToken:
    """Check the password and issue a revocable bearer token."""
    user = uow.users.by_username(cmd.username)
    if not verify_password(user.password_hash if user else None, cmd.password) or user is None:
        raise BadCredentials("wrong username or password; check both and log in again")
    if needs_rehash(user.password_hash):
        uow.users.update_password(user.id, hash_password(cmd.password))
    token = secrets.token_urlsafe(32)
    expires_at = ctx.now + timedelta(seconds=ctx.settings.token_ttl_s)
    uow.users.add_token(token_hash(token), user.id, ctx.now, expires_at)
    uow.users.purge_expired_tokens(ctx.now)
    return IssuedToken(token, user, expires_at)


def log_out(cmd: LogOut, uow: UnitOfWork, ctx: Context) -> None:
    """Revoke the token: it stops working everywhere at once."""
    uow.users.revoke_token(token_hash(cmd.token), ctx.now)
