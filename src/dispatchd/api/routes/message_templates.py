"""The customers' messages as data: admins read every message's words and change them.

The stored words are used when a message is rendered for sending; words that could not be
sent (a placeholder the message is not given, no service code where the code is the point,
too long, control characters) are refused with the reason, and nothing is stored.
"""

from __future__ import annotations

from fastapi import APIRouter

from dispatchd.api.deps import AdminActor, DispatcherDep
from dispatchd.api.json_response import JSONResponse
from dispatchd.api.requests import MessageTemplateRequest
from dispatchd.api.responses import MessageTemplateList, MessageTemplateOut
from dispatchd.domain.timefmt import rfc3339
from dispatchd.notify.templates import (
    MAX_TEMPLATE,
    PLACEHOLDERS,
    REQUIRED_PLACEHOLDERS,
    SUPPORTED_LOCALES,
    TEMPLATES,
    default_text,
)
from dispatchd.service.commands import SetMessageTemplate
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store.message_templates import StoredTemplate

router = APIRouter(tags=["message templates"])


def template_view(name: str, locale: str, stored: StoredTemplate | None) -> MessageTemplateOut:
    """One message in one locale: the words in use beside the shipped ones."""
    return {
        "name": name,
        "locale": locale,
        "body": stored.body if stored else default_text(name, locale),
        "default_body": default_text(name, locale),
        "placeholders": list(PLACEHOLDERS[name]),
        "required": list(REQUIRED_PLACEHOLDERS.get(name, ())),
        "edited": stored is not None,
        "updated_at": rfc3339(stored.updated_at) if stored else None,
        "updated_by": stored.updated_by if stored else None,
    }


@router.get("/message-templates", response_model=MessageTemplateList)
def list_message_templates(actor: AdminActor, dispatcher: DispatcherDep) -> JSONResponse:
    """Every customer message in every locale, with its placeholders (admins only)."""
    with dispatcher.reading() as conn:
        stored = UnitOfWork(conn).message_templates.all()
    items = [
        template_view(name, locale, stored.get((name, locale)))
        for name in TEMPLATES
        for locale in SUPPORTED_LOCALES
    ]
    return JSONResponse(MessageTemplateList(items=items, max_length=MAX_TEMPLATE))


@router.put("/message-templates/{name}/{locale}", response_model=MessageTemplateOut)
def put_message_template(
    name: str,
    locale: str,
    body: MessageTemplateRequest,
    actor: AdminActor,
    dispatcher: DispatcherDep,
) -> JSONResponse:
    """Change one message's words in one locale; used for every message sent after this."""
    stored: StoredTemplate = dispatcher.execute(SetMessageTemplate(name, locale, body.body), actor)
    return JSONResponse(template_view(name, locale, stored))
