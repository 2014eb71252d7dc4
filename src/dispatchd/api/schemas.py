"""Request and response bodies of the HTTP contract, separate from the stored tables.

Requests refuse unknown fields, so a misspelt field is an error naming it rather than a
silently ignored value.
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
)

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


class TokenResponse(BaseModel):
    """A bearer token and who it belongs to."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme's name, not a secret
    role: str
    installer_id: str | None
    expires_at: str


class UserCreate(Request):
    """``POST /users``."""

    username: Username
    password: Password
    role: Literal["manager", "admin", "integration"]
    zone_ids: list[Identifier] = Field(default_factory=list, max_length=500)


class UserOut(BaseModel):
    """An account, never with its password."""

    id: str
    username: str
    role: str
    installer_id: str | None
    zone_ids: list[str]


class Geometry(Request):
    """A GeoJSON Polygon or MultiPolygon; positions are ``[lon, lat]``."""

    model_config = ConfigDict(extra="allow")

    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any] = Field(min_length=1)


class ZoneCreate(Request):
    """``POST /zones``."""

    name: Name
    boundary: Geometry


class ZoneUpdate(Request):
    """``PATCH /zones/{id}``."""

    name: Name | None = None
    boundary: Geometry | None = None


class ZoneOut(BaseModel):
    """A zone."""

    id: str
    name: str
    boundary: dict[str, Any]


class InstallerCreate(Request):
    """``POST /installers``."""

    name: Name
    phone: Phone
    zone_ids: list[Identifier] = Field(min_length=1, max_length=100)
    capacity: int = Field(default=3, ge=1, le=100)
    skills: list[Skill] = Field(default_factory=list, max_length=50)
    username: Username
    password: Password


class InstallerUpdate(Request):
    """``PATCH /installers/{id}``: only the fields sent change."""

    name: Name | None = None
    phone: Phone | None = None
    zone_ids: list[Identifier] | None = Field(default=None, max_length=100)
    capacity: int | None = Field(default=None, ge=1, le=100)
    skills: list[Skill] | None = Field(default=None, max_length=50)
    on_duty: bool | None = None


class LocationOut(BaseModel):
    """Where an installer's phone last was."""

    lat: float
    lon: float
    at: str
    accuracy_m: float | None = None


class InstallerOut(BaseModel):
    """An installer with their work-state."""

    id: str
    name: str
    phone: str
    zone_ids: list[str]
    capacity: int
    skills: list[str]
    on_duty: bool
    location: LocationOut | None
    active_jobs: int
    balance: int


class DutyRequest(Request):
    """``PUT /me/duty``."""

    on_duty: bool


class LocationReport(Request):
    """``POST /me/location``."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)
    at: datetime | None = None

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a time zone, e.g. 2026-11-25T10:49:49Z")
        return value


class LadderStep(Request):
    """One rung of the escalation ladder."""

    after_s: int = Field(gt=0, le=7 * 24 * 3600)
    action: Literal["remind", "penalize", "revoke"]
    amount: int | None = Field(default=None, gt=0, le=1_000_000_000)


class PolicyBody(Request):
    """``PUT /policy`` and ``GET /policy``."""

    escalation: list[LadderStep] = Field(min_length=1, max_length=20)
    max_auto_attempts: int = Field(default=3, ge=1, le=100)
    customer_notice: Literal["on_accept", "on_offer"] = "on_accept"


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


class AssignRequest(Request):
    """``POST /orders/{id}/assign``."""

    installer_id: Identifier


class CancelRequest(Request):
    """``POST /orders/{id}/cancel``."""

    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), Storable
    ]


class DeclineRequest(Request):
    """``POST /offers/{id}/decline``."""

    reason: ShortText | None = None


class OfferOut(BaseModel):
    """An offer of an order to an installer."""

    id: str
    order_id: str
    installer_id: str
    status: str
    sent_at: str
    next_step_at: str | None
    attempt: int
    next_action: str | None = None
    next_amount: int | None = None
    ended_at: str | None = None
    order: dict[str, Any] | None = None


class CustomerOut(BaseModel):
    """The customer as the caller may see them."""

    name: str
    phone: str


class OrderOut(BaseModel):
    """An order (with ``offers`` and ``events`` on the detail view)."""

    id: str
    status: str
    zone_id: str | None
    customer: CustomerOut
    address: str
    location: dict[str, float]
    product: str
    skills: list[str]
    notes: str | None
    external_ref: str | None
    installer_id: str | None
    current_offer: OfferOut | None
    attempts: int
    awaiting_dispatcher: bool
    flags: list[str]
    follow_up: dict[str, Any] | None
    created_at: str
    accepted_at: str | None
    started_at: str | None
    completed_at: str | None
    cancelled_at: str | None
    tracking_url: str | None
    offers: list[OfferOut] | None = None
    events: list[dict[str, Any]] | None = None


class OrderPage(BaseModel):
    """A page of orders, newest first."""

    items: list[OrderOut]
    next_cursor: str | None


class AlertOut(BaseModel):
    """An item of the console's inbox."""

    id: str
    type: str
    order_id: str
    offer_id: str | None = None
    installer_id: str | None = None
    zone_id: str | None = None
    detail: str | None = None
    at: str
    acknowledged_at: str | None


class LedgerEntryOut(BaseModel):
    """One booking in an installer's ledger."""

    id: str
    amount: int
    reason: str
    offer_id: str | None
    order_id: str | None
    at: str


class LedgerOut(BaseModel):
    """An installer's ledger and balance."""

    items: list[LedgerEntryOut]
    balance: int
    currency: str


class FollowUpRequest(Request):
    """``POST /orders/{id}/follow-up``."""

    outcome: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Storable
    ]
    note: ShortText | None = None


class TrackedOrder(BaseModel):
    """What the customer's tracking link shows: status and, once accepted, who is coming."""

    status: str
    product: str
    created_at: str
    accepted_at: str | None
    started_at: str | None
    completed_at: str | None
    cancelled_at: str | None
    installer: dict[str, str] | None
