"""Customer messages' words as admins edited them, one row per (message, locale).

A message with no row is sent in the words the code ships; the relay asks here at the moment
it renders, so an edit applies to every message sent after it, queued before or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, select

from dispatchd.store import tables as t


@dataclass(frozen=True)
class StoredTemplate:
    """An admin's words for one message in one locale, and who saved them when."""

    name: str
    locale: str
    body: str
    updated_at: datetime
    updated_by: str


class MessageTemplates:
    """The edited message texts."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def all(self) -> dict[tuple[str, str], StoredTemplate]:
        """Every edited text, by (message, locale)."""
        rows = self._conn.execute(select(t.message_templates)).mappings()
        return {(row["name"], row["locale"]): StoredTemplate(**row) for row in rows}

    def text(self, name: str, locale: str) -> str | None:
        """The edited words for a message in a locale, or None to use the shipped ones."""
        query = select(t.message_templates.c.body).where(
            t.message_templates.c.name == name, t.message_templates.c.locale == locale
        )
        body: str | None = self._conn.execute(query).scalar()
        return body

    def put(self, template: StoredTemplate) -> None:
        """Store (or replace) the words for one message in one locale."""
        self._conn.execute(
            delete(t.message_templates).where(
                t.message_templates.c.name == template.name,
                t.message_templates.c.locale == template.locale,
            )
        )
        self._conn.execute(
            t.message_templates.insert().values(
                name=template.name,
                locale=template.locale,
                body=template.body,
                updated_at=template.updated_at,
                updated_by=template.updated_by,
            )
        )
