"""Errors the service layer raises on top of the domain's: missing things, conflicts and
credentials that prove nothing."""

from __future__ import annotations

from dispatchd.domain.errors import DomainError, FieldError


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it does (a 404)."""

    def __init__(self, what: str, ident: str) -> None:
        self.what = what
        self.ident = ident
        super().__init__(f"no {what} with id {ident!r} (or it is not visible to you)")


class Conflict(DomainError):
    """The request is valid but clashes with the current state (a 409).

    ``errors`` names the field the clash is about (a taken username), when there is one.
    """

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        self.errors = errors or []
        super().__init__(message)


class Unauthenticated(DomainError):
    """The credentials offered do not identify anyone (a 401, never saying which part failed)."""
