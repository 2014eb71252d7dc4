"""Bodies of the endpoints the web clients need beyond the core contract.

Session, Web Push subscription, assignment candidates and KPI figures: kept apart from
``schemas.py`` so the contract's own shapes stay easy to compare with ``shared/API.md``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from dispatchd.api.schemas import Request

Base64Url = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class SessionOut(BaseModel):
    """Who a session belongs to."""

    username: str
    role: str
    installer_id: str | None
    zone_ids: list[str] | None
    expires_at: str
    now: str


class VapidPublicKey(BaseModel):
    """The key a browser subscribes with (``applicationServerKey``)."""

    public_key: str


class PushKeys(Request):
    """The browser's encryption keys of a push subscription."""

    p256dh: Base64Url
    auth: Base64Url


class PushSubscriptionIn(Request):
    """``POST /me/push-subscriptions``: the browser's ``PushSubscription.toJSON()``."""

    endpoint: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    keys: PushKeys
    expirationTime: int | None = Field(default=None, ge=0)  # noqa: N815 - the browser's name


class PushSubscriptionOut(BaseModel):
    """A stored subscription (its keys are not echoed)."""

    id: str
    endpoint: str
    created_at: str


class CandidateOut(BaseModel):
    """One installer as the manual assignment list ranks them."""

    installer_id: str
    name: str
    phone: str
    on_duty: bool
    active_jobs: int
    capacity: int
    zone_ids: list[str]
    serves_order_zone: bool
    distance_m: float | None
    eligible: bool
    why_not: list[str]


class CandidatesOut(BaseModel):
    """Installers for an order: eligible first, then nearest, then least loaded."""

    order_id: str
    items: list[CandidateOut]


class DayStats(BaseModel):
    """One day's figures."""

    date: str
    offers_sent: int
    accepted: int
    revocations: int
    penalties: int
    penalty_amount: int
    completions: int
    flagged_completions: int
    median_accept_s: float | None


class AcceptBucket(BaseModel):
    """How many offers were accepted within ``up_to_s`` seconds (and after the bucket before)."""

    up_to_s: int | None
    count: int


class TimeToAccept(BaseModel):
    """Time from an offer being sent to its acceptance, over the whole window."""

    count: int
    median_s: float | None
    p90_s: float | None
    buckets: list[AcceptBucket]


class StatsOut(BaseModel):
    """KPIs of the console, for the caller's zones."""

    since: str
    until: str
    utc_offset_min: int
    currency: str
    days: list[DayStats]
    time_to_accept: TimeToAccept
    orders_by_status: dict[str, int]
