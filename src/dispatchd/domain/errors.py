"""Errors the domain raises, each saying what was expected and what arrived.

They carry enough structure for the API to turn them into problem documents without parsing
messages: a conflict names both states, an invalid input names the field and the fix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass


class DomainError(Exception):
    """Base of every rule the dispatcher's world refuses to break."""


@dataclass(frozen=True)
class FieldError:
    """One bad input field, named by its dotted path, with a message that says how to fix it.

    ``code`` names the kind of fault and ``params`` its numbers (a limit, a count), so a client
    can say the same in its user's language without parsing the English ``message``.
    """

    field: str
    message: str
    code: str = "invalid"
    params: Mapping[str, str | int | float] = dataclasses.field(
        default_factory=dict, compare=False, hash=False
    )


class InvalidInput(DomainError):
    """Input that breaks a business rule; lists every offending field at once."""

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        self.errors = errors
        self.detail = detail or "; ".join(f"{e.field}: {e.message}" for e in errors)
        super().__init__(self.detail)


class IllegalTransition(DomainError):
    """A state change that the transition table does not allow (a 409 at the API)."""

    def __init__(self, what: str, current: str, wanted: str, hint: str = "") -> None:
        self.what = what
        self.current = current
        self.wanted = wanted
        message = f"{what} is {current} and cannot become {wanted}"
        super().__init__(f"{message}. {hint}".strip() if hint else message)


class NotAllowed(DomainError):
    """The actor may see the thing but may not do this to it (a 403 at the API)."""
