"""Every request body of the API, separate from the stored tables and from the answers.

Bodies refuse unknown fields, so a misspelt field is an error naming it rather than a silently
ignored value; text no database can store is refused here too, by the same types in JSON
bodies and in form fields. The escalation policy is both
the body and the answer of ``/policy``, so ``PolicyBody`` is one model for both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

ID_PATTERN = r"^[A-Za-z0-9_-]+$"


def _storable(value: str) -> str:
    """Refuse text no database can store faithfully (NUL, unpaired UTF-16 surrogates)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains an unpaired surrogate; send valid UTF-8 text") from None
    return value


Storable = AfterValidator(_storable)


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Storable
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), Storable]
Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$"
    ),
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256), Storable]
Skill = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), Storable
]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=32), Storable
]
Base64Url = Annotated[str, StringConstraints(min_length=1, max_length=200), Storable]
ServiceCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), Storable]


class Request(BaseModel):
    """Base of request bodies: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class Location(Request):
    """A WGS84 position."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


class TokenRequest(Request):
    """``POST /auth/token``."""

    username: Annotated[str, StringConstraints(min_length=1, max_length=64), Storable]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256), Storable]


class UserCreate(Request):
    """``POST /users``."""

    username: Username
    password: Password
    role: Literal["manager", "admin", "integration"]
    zone_ids: list[Identifier] = Field(default_factory=list, max_length=500)


class Geometry(Request):
    """A GeoJSON Polygon or MultiPolygon; positions are ``[lon, lat]``.

    A ``bbox`` must be 4 or 6 finite numbers if sent, and is then dropped, like every other
    member (``crs``, ``properties``, foreign members), which are not read at all. The
    coordinates are passed on as sent: the service parses them strictly, naming the exact
    ring or position at fault, and stores only the geometry it rebuilt from them.
    """

    model_config = ConfigDict(extra="ignore")

    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any] = Field(min_length=1)
    bbox: list[Annotated[float, Field(allow_inf_nan=False)]] | None = None

    @field_validator("bbox")
    @classmethod
    def _bbox_corners(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and len(value) not in (4, 6):
            raise ValueError("must be 4 numbers [west, south, east, north] (or 6 with heights)")
        return value

    def geojson(self) -> dict[str, Any]:
        """The members the service reads, without whatever else the client sent."""
        return {"type": self.type, "coordinates": self.coordinates}

    @model_validator(mode="after")
    def _storable_members(self) -> Geometry:
        """Foreign members (``bbox``, ``properties``) are kept, so their text must be storable
        too; the body guard has bounded their nesting already."""
        pending: list[object] = list((self.model_extra or {}).items())
        while pending:
            item = pending.pop()
            if isinstance(item, tuple):
                pending.extend(item)
            elif isinstance(item, dict):
                pending.extend(item.items())
            elif isinstance(item, list):
                pending.extend(item)
            elif isinstance(item, str):
                _storable(item)
        return self


class ZoneCreate(Request):
    """``POST /zones``."""

    name: Name
    boundary: Geometry


def _fields_not_nullable(schema: dict[str, Any]) -> None:
    """Drop ``null`` (and the ``null`` default) from each property of a patch's schema."""
    for prop in schema.get("properties", {}).values():
        if prop.get("default", ...) is None:
            del prop["default"]
        choices = prop.get("anyOf")
        if choices is None:
            continue
        kept = [choice for choice in choices if choice != {"type": "null"}]
        if len(kept) == 1:
            del prop["anyOf"]
            prop.update(kept[0])
        else:
            prop["anyOf"] = kept


class Patch(Request):
    """Base of partial updates: a field left out keeps its value, and ``null`` is refused.

    None of these fields can be emptied (an installer without a name, a zone without a
    boundary), so an explicit ``null`` is a mistake to name, not a value to store — and the
    schema says so: no field of a patch is documented as nullable.
    """

    model_config = ConfigDict(json_schema_extra=_fields_not_nullable)

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("must not be null; leave the field out to keep its value")
        return value


class UserUpdate(Patch):
    """``PATCH /users/{id}``: the zones a manager or integration is limited to."""

    zone_ids: list[Identifier] | None = Field(default=None, max_length=500)


class ZoneUpdate(Patch):
    """``PATCH /zones/{id}``."""

    name: Name | None = None
    boundary: Geometry | None = None


class InstallerCreate(Request):
    """``POST /installers``."""

    name: Name
    phone: Phone
    zone_ids: list[Identifier] = Field(min_length=1, max_length=100)
    capacity: int = Field(default=3, ge=1, le=100)
    skills: list[Skill] = Field(default_factory=list, max_length=50)
    username: Username
    password: Password


class InstallerUpdate(Patch):
    """``PATCH /installers/{id}``: only the fields sent change."""

    name: Name | None = None
    phone: Phone | None = None
    zone_ids: list[Identifier] | None = Field(default=None, min_length=1, max_length=100)
    capacity: int | None = Field(default=None, ge=1, le=100)
    skills: list[Skill] | None = Field(default=None, max_length=50)
    on_duty: bool | None = None


class DutyRequest(Request):
    """``PUT /me/duty``."""

    on_duty: bool


class PositionFix(Request):
    """One fix in a batch of ``POST /me/location``: its time is required, to order the batch."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)
    at: datetime

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return _aware_time(value)


MAX_FIXES = 100


class LocationReport(Request):
    """``POST /me/location``: one fix (``lat``, ``lon``, ...) or several (``points``)."""

    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)
    at: datetime | None = None
    points: list[PositionFix] | None = Field(default=None, min_length=1, max_length=MAX_FIXES)

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _aware_time(value)


def _aware_time(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must carry a time zone, e.g. 2026-11-25T10:49:49Z")
    return value


class LadderStep(Request):
    """One rung of the escalation ladder."""

    after_s: int = Field(gt=0, le=7 * 24 * 3600)
    action: Literal["remind", "penalize", "revoke"]
    amount: int | None = Field(default=None, gt=0, le=1_000_000_000)


class PromiseStepIn(Request):
    """One step of a promise's ladder (the first may run at once: ``after_s`` 0)."""

    after_s: int = Field(ge=0, le=30 * 24 * 3600)
    action: Literal["remind", "alert", "penalize", "reassign"]
    amount: int | None = Field(default=None, gt=0, le=1_000_000_000)


class Promises(Request):
    """A ladder for each promise after acceptance; a promise left out keeps its ladder."""

    appointment: list[PromiseStepIn] | None = Field(default=None, max_length=20)
    arrival: list[PromiseStepIn] | None = Field(default=None, max_length=20)
    completion: list[PromiseStepIn] | None = Field(default=None, max_length=20)


class RankingIn(Request):
    """Weights of an automatic offer's choice: the lowest
    ``distance_km × w₁ + active_jobs × w₂ − (rating − 3) × w₃`` is offered first."""

    distance_km: float = Field(default=1.0, ge=0, le=1000, allow_inf_nan=False)
    active_jobs: float = Field(default=2.0, ge=0, le=1000, allow_inf_nan=False)
    rating: float = Field(default=1.0, ge=0, le=1000, allow_inf_nan=False)


class PolicyBody(Request):
    """``PUT /policy`` and ``GET /policy``; a ``PUT`` that leaves out the promises, the
    longest window or the ranking keeps what is stored."""

    escalation: list[LadderStep] = Field(min_length=1, max_length=20)
    max_auto_attempts: int = Field(default=3, ge=1, le=100)
    customer_notice: Literal["on_accept", "on_offer"] = "on_accept"
    promises: Promises | None = None
    max_window_s: int | None = Field(default=None, ge=600, le=7 * 24 * 3600)
    ranking: RankingIn | None = None


class CustomerIn(Request):
    """The customer of a new order."""

    name: Name
    phone: Phone


class OrderCreate(Request):
    """``POST /orders``."""

    customer: CustomerIn
    address: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), Storable
    ]
    location: Location
    product: Name
    skills: list[Skill] = Field(default_factory=list, max_length=20)
    notes: ShortText | None = None
    external_ref: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), Storable] | None
    ) = None
    fee: int = Field(default=0, ge=0, le=1_000_000_000)


Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), Storable
]


class AssignRequest(Request):
    """``POST /orders/{id}/assign``; ``reason`` is needed to take a job from its installer."""

    installer_id: Identifier
    reason: Reason | None = None


class AwareTime(Request):
    """Base of bodies with times: every time must carry its zone."""

    @field_validator("*")
    @classmethod
    def _aware(cls, value: object) -> object:
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("must carry a time zone, e.g. 2026-11-25T10:00:00+08:00")
        return value


class AppointmentRequest(AwareTime):
    """``PUT /orders/{id}/appointment``: the arrival window agreed with the customer."""

    window_start: datetime
    window_end: datetime
    reason: Reason | None = None


class HandBackRequest(Request):
    """``POST /orders/{id}/hand-back``."""

    reason: Reason


class SuspendRequest(AwareTime):
    """``POST /orders/{id}/suspend``."""

    reason: Literal[
        "customer_absent", "parts_missing", "customer_request", "site_not_ready", "other"
    ]
    note: ShortText | None = None
    until: datetime | None = None


class LedgerEntryRequest(Request):
    """``POST /installers/{id}/ledger``: a manager's entry (never an edit of another)."""

    amount: int = Field(ge=-1_000_000_000, le=1_000_000_000)
    reason: Literal["penalty_waived", "adjustment"]
    note: ShortText | None = None
    entry_id: Identifier | None = None


class CancelRequest(Request):
    """``POST /orders/{id}/cancel``."""

    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), Storable
    ]


class DeclineRequest(Request):
    """``POST /offers/{id}/decline``."""

    reason: ShortText | None = None


class FollowUpRequest(Request):
    """``POST /orders/{id}/follow-up``."""

    outcome: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Storable
    ]
    note: ShortText | None = None


MAX_ALERTS_ACKNOWLEDGED = 200


class AcknowledgeAlertsRequest(Request):
    """``POST /alerts/ack``: a selection of the inbox, each alert named once."""

    ids: list[Identifier] = Field(
        min_length=1, max_length=MAX_ALERTS_ACKNOWLEDGED, json_schema_extra={"uniqueItems": True}
    )

    @field_validator("ids")
    @classmethod
    def _each_once(cls, value: list[str]) -> list[str]:
        twice = sorted({alert_id for alert_id in value if value.count(alert_id) > 1})
        if twice:
            raise PydanticCustomError(
                "unique_items",
                "names {ids} more than once; send each alert id once",
                {"ids": ", ".join(twice)},
            )
        return value


class PushKeys(Request):
    """The browser's encryption keys of a push subscription."""

    p256dh: Base64Url
    auth: Base64Url


class PushSubscriptionIn(Request):
    """``POST /me/push-subscriptions``: the browser's ``PushSubscription.toJSON()``."""

    endpoint: Annotated[str, StringConstraints(min_length=1, max_length=1000), Storable]
    keys: PushKeys
    expirationTime: int | None = Field(default=None, ge=0)  # noqa: N815 - the browser's name


class RatingRequest(Request):
    """``POST /track/{token}/rating``: whole stars from 1 to 5, and a comment if the customer
    has something to say."""

    stars: int = Field(ge=1, le=5, strict=True)
    comment: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000), Storable] | None
    ) = None


class RescheduleRequest(AwareTime):
    """``POST /track/{token}/reschedule``: why the visit should move, and perhaps when would
    suit the customer (a time in the future, with its zone)."""

    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), Storable
    ]
    preferred_start: datetime | None = None


class MessageTemplateRequest(Request):
    """``PUT /message-templates/{name}/{locale}``: the message's new words."""

    body: Annotated[str, StringConstraints(min_length=1, max_length=2000), Storable]
