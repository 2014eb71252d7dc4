"""The schema, as SQLAlchemy Core tables; Alembic migrations are written to match it.

Every table a command touches is here, so one transaction can hold a state change together
with its deadlines, ledger entries, events, alerts and outgoing messages.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from dispatchd.store.types import AutoIncrementId, UtcTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(32)

zones = Table(
    "zones",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("boundary", JSON, nullable=False),
    Column("boundary_problem", Text),
    Column("revision", BigInteger, nullable=False),
    Column("created_at", UtcTime, nullable=False),
    Column("updated_at", UtcTime, nullable=False),
    Column("deleted_at", UtcTime),
)

installers = Table(
    "installers",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("phone", String(32), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("skills", JSON, nullable=False),
    Column("on_duty", Boolean, nullable=False, default=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("accuracy_m", Float),
    Column("location_at", UtcTime),
    Column("created_at", UtcTime, nullable=False),
    Column("changed_at", UtcTime, nullable=False, index=True),
)

installer_zones = Table(
    "installer_zones",
    metadata,
    Column("installer_id", ID, ForeignKey("installers.id"), primary_key=True),
    Column("zone_id", ID, ForeignKey("zones.id"), primary_key=True),
    Index("ix_installer_zones_zone", "zone_id"),
)

#: One row, bumped in the transaction of every change that can end or narrow a token's use
#: (a revocation, a password or zone change), so each process's token cache knows when to
#: forget; read by primary key on every authenticated request.
auth_generation = Table(
    "auth_generation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", BigInteger, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", ID, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(16), nullable=False),
    Column("installer_id", ID, ForeignKey("installers.id"), unique=True),
    Column("created_at", UtcTime, nullable=False),
)

user_zones = Table(
    "user_zones",
    metadata,
    Column("user_id", ID, ForeignKey("users.id"), primary_key=True),
    Column("zone_id", ID, ForeignKey("zones.id"), primary_key=True),
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", ID, ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", UtcTime, nullable=False),
    Column("expires_at", UtcTime, nullable=False),
    Column("revoked_at", UtcTime),
)

policies = Table(
    "policies",
    metadata,
    Column("version", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("body", JSON, nullable=False),
    Column("created_at", UtcTime, nullable=False),
    Column("created_by", ID),
)

orders = Table(
    "orders",
    metadata,
    Column("id", ID, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("zone_id", ID, ForeignKey("zones.id")),
    Column("customer_name", String(200), nullable=False),
    Column("customer_phone", String(32), nullable=False),
    Column("address", String(500), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("product", String(200), nullable=False),
    Column("skills", JSON, nullable=False),
    Column("notes", Text),
    Column("external_ref", String(200)),
    Column("installer_id", ID, ForeignKey("installers.id")),
    Column("awaiting_dispatcher", Boolean, nullable=False, default=False),
    Column("flags", JSON, nullable=False),
    Column("follow_up", JSON),
    Column("needs_follow_up", Boolean, nullable=False, default=False),
    Column("tracking_token", String(64), nullable=False, unique=True),
    Column("created_at", UtcTime, nullable=False),
    Column("accepted_at", UtcTime),
    Column("started_at", UtcTime),
    Column("completed_at", UtcTime),
    Column("cancelled_at", UtcTime),
    Column("cancel_reason", Text),
    Column("service_code_hash", String(200)),
    Column("service_code_failures", Integer, nullable=False, default=0),
    Column("customer_notified_at", UtcTime),
    Column("photo_key", String(80)),
    Column("photo_taken_at", UtcTime),
    Column("completion_notes", Text),
    Column("fee", BigInteger, nullable=False, default=0),
    Column("appointment_start", UtcTime),
    Column("appointment_end", UtcTime),
    Column("appointment_set_at", UtcTime),
    Column("appointment_moves", Integer, nullable=False, default=0),
    Column("on_the_way_at", UtcTime),
    Column("suspension", JSON),
    Column("releases", JSON, nullable=False, default=list),
    Column("rating_stars", Integer),
    Column("rating_comment", Text),
    Column("rated_at", UtcTime),
    Index("ix_orders_created", "created_at", "id"),
    Index("ix_orders_status_created", "status", "created_at"),
    Index("ix_orders_zone_created", "zone_id", "created_at"),
    Index("ix_orders_installer_status", "installer_id", "status"),
    Index("ix_orders_external_ref", "external_ref"),
    Index("ix_orders_follow_up", "needs_follow_up", "created_at"),
)

offers = Table(
    "offers",
    metadata,
    Column("id", ID, primary_key=True),
    Column("order_id", ID, ForeignKey("orders.id"), nullable=False),
    Column("installer_id", ID, ForeignKey("installers.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("ladder", JSON, nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("next_step", Integer, nullable=False),
    Column("next_step_at", UtcTime),
    Column("sent_at", UtcTime, nullable=False),
    Column("last_step_at", UtcTime),
    Column("ended_at", UtcTime),
    Column("end_reason", Text),
    Index("ix_offers_order", "order_id", "attempt"),
    Index("ix_offers_installer_status", "installer_id", "status"),
)

deadlines = Table(
    "deadlines",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("subject_id", ID, nullable=False),
    Column("step", Integer, nullable=False),
    Column("due_at", UtcTime, nullable=False),
    Column("failures", Integer, nullable=False, default=0),
    UniqueConstraint("kind", "subject_id", name="uq_deadlines_kind_subject"),
    Index("ix_deadlines_due", "due_at", "id"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", ID, primary_key=True),
    Column("installer_id", ID, ForeignKey("installers.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("reason", String(64), nullable=False),
    Column("offer_id", ID, ForeignKey("offers.id")),
    Column("order_id", ID, ForeignKey("orders.id")),
    Column("step", Integer),
    Column("at", UtcTime, nullable=False),
    Column("once_key", String(120), unique=True),
    Column("note", Text),
    Column("entry_id", ID),
    Column("by", ID),
    UniqueConstraint("offer_id", "step", name="uq_ledger_entries_offer_step"),
    Index("ix_ledger_installer_at", "installer_id", "at"),
)

promises = Table(
    "promises",
    metadata,
    Column("order_id", ID, ForeignKey("orders.id"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("installer_id", ID, ForeignKey("installers.id"), nullable=False),
    Column("ladder", JSON, nullable=False),
    Column("since", UtcTime, nullable=False),
    Column("steps_taken", Integer, nullable=False, default=0),
    Column("next_step_at", UtcTime),
    Column("last_step_at", UtcTime),
    Column("kept_at", UtcTime),
    Column("ended_at", UtcTime),
    Column("paused_at", UtcTime),
    Column("time_left_us", BigInteger),
)


def _event_payload() -> list[Column[Any]]:
    """What an event says, the same in the log and in the queue it is published from."""
    return [
        Column("name", String(48), nullable=False),
        Column("order_id", ID, nullable=False),
        Column("installer_id", ID),
        Column("zone_id", ID),
        Column("data", JSON, nullable=False),
        Column("at", UtcTime, nullable=False),
    ]


events = Table(
    "events",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    *_event_payload(),
    Index("ix_events_order", "order_id", "id"),
)

#: Events committed but not yet published (PostgreSQL): a command's transaction queues its
#: events here, and a publication round moves them into ``events`` in ``seq`` order, giving
#: them their ids (``store/event_publication.py``). Empty on SQLite, whose single writer
#: writes ``events`` directly; it exists there too so both stores keep one schema.
event_queue = Table(
    "event_queue",
    metadata,
    Column("seq", AutoIncrementId, primary_key=True, autoincrement=True),
    *_event_payload(),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("type", String(32), nullable=False),
    Column("order_id", ID, ForeignKey("orders.id"), nullable=False),
    Column("offer_id", ID),
    Column("installer_id", ID),
    Column("zone_id", ID),
    Column("detail", Text),
    Column("at", UtcTime, nullable=False),
    Column("acknowledged_at", UtcTime),
    Column("acknowledged_by", ID),
    Index("ix_alerts_open", "acknowledged_at", "at"),
    Index("ix_alerts_order_type_open", "order_id", "type", "acknowledged_at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("recipient", String(512), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("order_id", ID),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcTime, nullable=False),
    Column("created_at", UtcTime, nullable=False),
    Column("sent_at", UtcTime),
    Column("last_error", Text),
    Index("ix_outbox_due", "status", "next_attempt_at"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", ID, primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", UtcTime, nullable=False),
)

push_subscriptions = Table(
    "push_subscriptions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("installer_id", ID, ForeignKey("installers.id"), nullable=False, index=True),
    Column("endpoint", String(1000), nullable=False, unique=True),
    Column("p256dh", String(200), nullable=False),
    Column("auth", String(100), nullable=False),
    Column("created_at", UtcTime, nullable=False),
)

deployment_secrets = Table(
    "deployment_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", UtcTime, nullable=False),
)

# Attempts that invite guessing, counted per (scope, key, window) so that every process
# sharing the database counts into the same rows; keys are stored as fixed-length digests.
attempt_counters = Table(
    "attempt_counters",
    metadata,
    Column("scope", String(32), primary_key=True),
    Column("key", String(32), primary_key=True),
    Column("window_start", UtcTime, primary_key=True),
    Column("window_end", UtcTime, nullable=False, index=True),
    Column("hits", Integer, nullable=False),
)

# The customer messages' words as an admin edited them, per (template, locale); a template
# without a row here is sent in the words the code ships (notify/templates.py).
message_templates = Table(
    "message_templates",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("locale", String(16), primary_key=True),
    Column("body", Text, nullable=False),
    Column("updated_at", UtcTime, nullable=False),
    Column("updated_by", String(64), nullable=False),
)
