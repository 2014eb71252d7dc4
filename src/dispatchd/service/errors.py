"""Errors the service layer raises on top of the domain's: missing things, conflicts and
credentials that prove nothing."""

from __future__ import annotations

from dispatchd.domain.errors import DomainError


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it does (a 404)."""

    def __init__(self, what: str, ident: str) -> None:
        self.what = what
        self.ident = ident
        super().__init__(f"no {what} with id {ident!r} (or it is not visible to you)")


class Conflict(DomainError):
    """The request is valid but clashes with the current state (a 409)."""


class Unauthenticated(DomainError):
    """The credentials offered do not identify anyone (a 401, never saying which part failed)."""
