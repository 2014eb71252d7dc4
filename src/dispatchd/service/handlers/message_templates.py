"""An admin's words for the customer messages: checked, then stored per (message, locale)."""

from __future__ import annotations

from dispatchd.domain.errors import FieldError, InvalidInput, NotAllowed
from dispatchd.notify.templates import SUPPORTED_LOCALES, TEMPLATES, template_problems
from dispatchd.service.actors import Role
from dispatchd.service.commands import SetMessageTemplate
from dispatchd.service.context import Context
from dispatchd.service.errors import NotFound
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store.message_templates import StoredTemplate


def set_message_template(cmd: SetMessageTemplate, uow: UnitOfWork, ctx: Context) -> StoredTemplate:
    """Store new words for a message; words that could not be sent are refused, naming why."""
    if ctx.actor.role is not Role.ADMIN:
        raise NotAllowed("only an admin can change the customers' messages")
    if cmd.name not in TEMPLATES:
        raise NotFound("message template", cmd.name)
    if cmd.locale not in SUPPORTED_LOCALES:
        choices = ", ".join(SUPPORTED_LOCALES)
        raise InvalidInput(
            [FieldError("locale", f"use one of {choices}", "literal_error", {"expected": choices})]
        )
    problems = template_problems(cmd.name, cmd.body)
    if problems:
        raise InvalidInput(
            [FieldError("body", message, code, params) for code, message, params in problems]
        )
    stored = StoredTemplate(cmd.name, cmd.locale, cmd.body, ctx.now, ctx.actor.user_id)
    uow.message_templates.put(stored)
    return stored
