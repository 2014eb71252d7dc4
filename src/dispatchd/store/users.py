"""Accounts and bearer tokens: who may log in, with which role, limited to which zones.

Tokens are opaque random strings; only their SHA-256 is stored, so a leaked table lets nobody
in, and revoking one is deleting a row's validity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, select, update

from dispatchd.store import tables as t

# Asked on every authenticated request, so built once rather than per call.
_TOKEN_WITH_USER = (
    select(t.auth_tokens, t.users)
    .join(t.users, t.users.c.id == t.auth_tokens.c.user_id)
    .where(t.auth_tokens.c.token_hash == bindparam("token_hash"))
)
_AUTH_GENERATION = select(t.auth_generation.c.generation).where(t.auth_generation.c.id == 1)
_BUMP_AUTH_GENERATION = (
    update(t.auth_generation)
    .where(t.auth_generation.c.id == 1)
    .values(generation=t.auth_generation.c.generation + 1)
)
_ZONES_OF_USER = (
    select(t.user_zones.c.zone_id)
    .where(t.user_zones.c.user_id == bindparam("user_id"))
    .order_by(t.user_zones.c.zone_id)
)


@dataclass(frozen=True)
class UserRecord:
    """An account as stored (the password only as its argon2id hash)."""

    id: str
    username: str
    password_hash: str
    role: str
    installer_id: str | None
    created_at: datetime
    zone_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class TokenRecord:
    """A live bearer token's owner and validity."""

    user: UserRecord
    expires_at: datetime
    revoked_at: datetime | None


class UserRepository:
    """Reads and writes users, their zones and their tokens."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, user: UserRecord) -> None:
        """Insert a user and their zone limits."""
        self._conn.execute(
            t.users.insert().values(
                id=user.id,
                username=user.username,
                password_hash=user.password_hash,
                role=user.role,
                installer_id=user.installer_id,
                created_at=user.created_at,
            )
        )
        self._set_zones(user.id, user.zone_ids)

    def by_username(self, username: str) -> UserRecord | None:
        """The account with this username, or None."""
        row = (
            self._conn.execute(select(t.users).where(t.users.c.username == username))
            .mappings()
            .first()
        )
        return None if row is None else self._with_zones(dict(row))

    def by_id(self, user_id: str) -> UserRecord | None:
        """The account with this id, or None."""
        row = self._conn.execute(select(t.users).where(t.users.c.id == user_id)).mappings().first()
        return None if row is None else self._with_zones(dict(row))

    def all(self, role: str | None = None) -> list[UserRecord]:
        """Every account (or those of one role), by username, with their zone limits."""
        query = select(t.users).order_by(t.users.c.username)
        if role is not None:
            query = query.where(t.users.c.role == role)
        rows = [dict(row) for row in self._conn.execute(query).mappings()]
        zones: dict[object, list[str]] = {row["id"]: [] for row in rows}
        limits = select(t.user_zones.c.user_id, t.user_zones.c.zone_id).order_by(
            t.user_zones.c.zone_id
        )
        for user_id, zone_id in self._conn.execute(limits):
            if user_id in zones:
                zones[user_id].append(zone_id)
        return [UserRecord(**row, zone_ids=tuple(zones[row["id"]])) for row in rows]

    def set_zones(self, user_id: str, zone_ids: tuple[str, ...]) -> None:
        """Replace the zones a user is limited to (none: no limit); cached tokens are forgotten."""
        self._conn.execute(delete(t.user_zones).where(t.user_zones.c.user_id == user_id))
        self._set_zones(user_id, zone_ids)
        self.tokens_changed()

    def auth_generation(self) -> int:
        """The counter every change to what a token admits bumps (one primary-key read)."""
        return int(self._conn.execute(_AUTH_GENERATION).scalar_one())

    def tokens_changed(self) -> None:
        """Tell every process's token cache, with this transaction, to look tokens up again.

        Every change that can end or narrow what a token admits (revoking it, a password,
        role or zone change, disabling the account) must call this in its transaction.
        """
        self._conn.execute(_BUMP_AUTH_GENERATION)

    def by_installer(self, installer_id: str) -> UserRecord | None:
        """The login of an installer, or None."""
        row = (
            self._conn.execute(select(t.users).where(t.users.c.installer_id == installer_id))
            .mappings()
            .first()
        )
        return None if row is None else self._with_zones(dict(row))

    def count(self) -> int:
        """How many accounts exist (zero means first start)."""
        return len(self._conn.execute(select(t.users.c.id).limit(1)).all())

    def update_password(self, user_id: str, password_hash: str) -> None:
        """Store a new (or rehashed) password hash."""
        self._conn.execute(
            update(t.users).where(t.users.c.id == user_id).values(password_hash=password_hash)
        )
        self.tokens_changed()

    def add_token(
        self, token_hash: str, user_id: str, created_at: datetime, expires_at: datetime
    ) -> None:
        """Remember a newly issued token by its hash."""
        self._conn.execute(
            t.auth_tokens.insert().values(
                token_hash=token_hash, user_id=user_id, created_at=created_at, expires_at=expires_at
            )
        )

    def token(self, token_hash: str) -> TokenRecord | None:
        """The token's owner and validity, or None for an unknown token."""
        row = self._conn.execute(_TOKEN_WITH_USER, {"token_hash": token_hash}).mappings().first()
        if row is None:
            return None
        user = self._with_zones(
            {name: row[t.users.c[name]] for name in t.users.c.keys()}  # noqa: SIM118
        )
        return TokenRecord(user, row["expires_at"], row["revoked_at"])

    def revoke_token(self, token_hash: str, now: datetime) -> None:
        """End a token's validity now."""
        self._conn.execute(
            update(t.auth_tokens)
            .where(t.auth_tokens.c.token_hash == token_hash, t.auth_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        self.tokens_changed()

    def purge_expired_tokens(self, now: datetime) -> None:
        """Forget tokens that can no longer be used."""
        self._conn.execute(delete(t.auth_tokens).where(t.auth_tokens.c.expires_at < now))

    def _set_zones(self, user_id: str, zone_ids: tuple[str, ...]) -> None:
        rows = [{"user_id": user_id, "zone_id": zone_id} for zone_id in dict.fromkeys(zone_ids)]
        if rows:
            self._conn.execute(t.user_zones.insert(), rows)

    def _with_zones(self, row: dict[str, object]) -> UserRecord:
        zone_ids = tuple(self._conn.execute(_ZONES_OF_USER, {"user_id": row["id"]}).scalars())
        return UserRecord(**row, zone_ids=zone_ids)  # type: ignore[arg-type]
