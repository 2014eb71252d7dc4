"""The generated OpenAPI document against a live server: schemathesis fuzzes every operation.

No input may make the server fail (5xx), and every answer — success or problem — must match
what the document declares (status code, media type, body schema), under every built-in check.
Each operation is fuzzed with data that fits its schema and with data that does not, as the
admin, as a manager limited to one zone and as an installer, against a city seeded with one
object of each kind so path parameters name real zones, installers, orders in every state,
offers, alerts, push subscriptions and tracking links as well as generated ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    status_code_conformance,
)

from dispatchd.api.app import create_app
from dispatchd.config import Settings
from dispatchd.service.clock import FakeClock
from tests.conftest import ADMIN_PASSWORD
from tests.live import serve_in_thread
from tests.outbound import StubResolver
from tests.seeded_city import INSTALLER_PASSWORD, MANAGER, MANAGER_PASSWORD, SeededCity, seed_city

pytestmark = pytest.mark.slow

EXAMPLES = 5
INSTALLER_ONLY = re.compile(
    r"^/api/v1/(me(/.*)?|offers/\{offer_id\}/(accept|decline)"
    r"|orders/\{order_id\}/(start|complete|appointment|on-the-way|hand-back|suspend|resume))$"
)
INSTALLER_ALSO = re.compile(
    r"^/api/v1/(auth/.*|events|push/vapid-public-key|track/\{token\}"
    r"|orders/\{order_id\}(/photo)?)$"
)
SEMANTIC_RULES = {
    "POST /api/v1/users": "zone_ids must name zones that exist",
    "POST /api/v1/zones": "a boundary's rings are closed, simple and of positions on Earth",
    "PATCH /api/v1/zones/{zone_id}": "a boundary's rings are closed, simple and on Earth",
    "POST /api/v1/installers": "a phone number that exists; zones that exist",
    "PATCH /api/v1/installers/{installer_id}": "a phone number that exists; zones that exist",
    "POST /api/v1/installers/{installer_id}/ledger": "a waiver names the penalty it waives",
    "PUT /api/v1/policy": "ladder steps in time order, ending in exactly one revoke",
    "POST /api/v1/orders": "a phone number that exists",
    "GET /api/v1/orders": "a cursor is one this server issued",
    "GET /api/v1/me/history": "a cursor is one this server issued",
    "PUT /api/v1/orders/{order_id}/appointment": "a window ahead of now, at most the policy's",
    "POST /api/v1/orders/{order_id}/suspend": "until ahead of now, at most 90 days",
    "POST /api/v1/me/location": "a position at most a day old",
    "POST /api/v1/me/push-subscriptions": "an https endpoint of a push service; real keys",
    "POST /api/v1/orders/{order_id}/complete": "a photo that is an image (else 413/415)",
    "POST /api/v1/track/{token}/rating": "stars written as a whole number (3, not 3.0)",
    "POST /api/v1/track/{token}/reschedule": "a preferred start ahead of now, within 180 days",
    "PUT /api/v1/message-templates/{name}/{locale}": "only the template's own placeholders",
}
PHOTO_REFUSALS = {"POST /api/v1/orders/{order_id}/complete": ["413", "415"]}
THROWAWAY_TOKEN = {("POST", "/api/v1/auth/logout"), ("DELETE", "/api/v1/auth/session")}
EVENT_STREAM = ("GET", "/api/v1/events")
STREAM_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]
STREAM_CHECKS.append(response_headers_conformance)


@dataclass
class Identity:
    """Who the fuzz runs as; logs in again whenever its token stops working."""

    base_url: str
    username: str
    password: str
    headers: dict[str, str] = field(default_factory=dict)

    def fresh(self) -> dict[str, str]:
        """A new token of this user, for requests that may revoke the one they carry."""
        answer = httpx.post(
            f"{self.base_url}/api/v1/auth/token",
            json={"username": self.username, "password": self.password},
        )
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def current(self) -> dict[str, str]:
        """Headers with a token that still works."""
        if not self.headers:
            self.headers = self.fresh()
        return self.headers

    def recheck(self) -> None:
        """After a 401: log in again if it was this token that stopped working."""
        answer = httpx.get(f"{self.base_url}/api/v1/auth/session", headers=self.current())
        if answer.status_code == 401:
            self.headers = self.fresh()


def _accepted_refusals() -> SchemathesisConfig:
    """Operations whose schema-valid data may still be refused with 422, and why: each rule
    below depends on stored data or on more than one field, which a JSON schema cannot say.
    Every other operation must accept schema-valid data (or answer 401/403/404/409)."""
    return SchemathesisConfig.from_dict(
        {
            "operations": [
                {
                    "include-name": name,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [
                                *("2xx", "401", "403", "404", "409", "422"),
                                *PHOTO_REFUSALS.get(name, []),
                            ]
                        }
                    },
                }
                for name in SEMANTIC_RULES
            ]
        }
    )


def _fuzz_settings(settings: Settings) -> Settings:
    """The test's settings with log-in limits the fuzz cannot reach: its throwaway tokens
    are log-ins from one address, and the fake clock never ends a window (the limits have
    their own tests)."""
    return settings.model_copy(
        update={
            "login_attempts_per_minute": 1_000_000,
            "login_attempts_per_account_per_minute": 1_000_000,
            "tracking_requests_per_minute": 1_000_000,
            "tracking_requests_per_link_per_minute": 1_000_000,
        }
    )


@pytest.fixture
def seeded(settings: Settings, clock: FakeClock) -> Iterator[tuple[str, SeededCity]]:
    app: FastAPI = create_app(_fuzz_settings(settings), clock, StubResolver())
    with serve_in_thread(app) as url:
        with httpx.Client(base_url=url) as http:
            city = seed_city(http)
        yield url, city


def _identity(role: str, base_url: str) -> Identity:
    if role == "admin":
        return Identity(base_url, "admin", ADMIN_PASSWORD)
    if role == "manager":
        return Identity(base_url, MANAGER, MANAGER_PASSWORD)
    return Identity(base_url, "installer1", INSTALLER_PASSWORD)


def _fuzzed_by(role: str, path: str) -> bool:
    """Admins fuzz everything; managers all but the installer's own routes; installers
    their own routes and the shared ones they use (log-in, events, their order, its photo)."""
    if role == "admin":
        return True
    if role == "manager":
        return INSTALLER_ONLY.match(path) is None
    return bool(INSTALLER_ONLY.match(path) or INSTALLER_ALSO.match(path))


def _modes(operation: Any) -> list[GenerationMode]:
    """Data that fits the schema, and data that does not wherever the schema constrains
    something besides a free-text path parameter (there is nothing to get wrong there)."""
    constrained = bool(operation.body) or any(
        parameter.location.value in ("query", "header") for parameter in operation.iter_parameters()
    )
    if constrained:
        return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return [GenerationMode.POSITIVE]


def _cases(operation: Any, mode: GenerationMode, ids: dict[str, list[str]]) -> Any:
    """Generated cases, and as many again whose path parameters name seeded objects."""
    names = [p.name for p in operation.path_parameters]
    generated = operation.as_strategy(generation_mode=mode)
    if not names:
        return generated
    seeded = [
        operation.as_strategy(generation_mode=mode, path_parameters={name: value})
        for name in names
        for value in ids.get(name, [])
    ]
    return st.one_of(generated, *seeded) if seeded else generated


def _stream_and_validate(case: Any, headers: dict[str, str]) -> None:
    """The event stream never ends: its answer is judged on status and headers, read with a
    bounded wait; a refusal is finite and judged whole."""
    sent = case.as_transport_kwargs(headers=headers)
    with requests.request(**sent, stream=True, timeout=5) as response:
        if response.status_code != 200:
            _ = response.content
            case.validate_response(response, headers=headers)
            return
    head = httpx.Response(
        response.status_code,
        headers=dict(response.headers),
        content=b"",
        request=httpx.Request(sent["method"], response.url, headers=sent.get("headers")),
    )
    head.elapsed = response.elapsed
    case.validate_response(head, checks=STREAM_CHECKS, headers=headers)


def test_every_operation_answers_the_admin_as_documented(
    seeded: tuple[str, SeededCity],
) -> None:
    _fuzz_every_operation("admin", *seeded)


@pytest.mark.parametrize("store", ["sqlite"])
@pytest.mark.parametrize("role", ["manager", "installer"])
def test_every_operation_answers_a_manager_and_an_installer_as_documented(
    seeded: tuple[str, SeededCity], role: str
) -> None:
    """The manager is limited to the centre; the installer works there (SQLite alone)."""
    _fuzz_every_operation(role, *seeded)


def _fuzz_every_operation(role: str, base_url: str, city: SeededCity) -> None:
    identity = _identity(role, base_url)
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=_accepted_refusals())
    ids = city.path_values()
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not _fuzzed_by(role, operation.path):
            continue
        operations += 1
        for mode in _modes(operation):
            try:
                _fuzz(operation, mode, identity, ids)
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:2500]}")
    assert operations > {"admin": 50, "manager": 30, "installer": 15}[role]
    assert failures == [], f"{len(failures)} failing\n\n" + "\n\n".join(failures)


def _fuzz(operation: Any, mode: GenerationMode, identity: Identity, ids: dict[str, Any]) -> None:
    """A bounded, deterministic run of one operation in one generation mode."""
    key = (operation.method.upper(), operation.path)

    @given(case=_cases(operation, mode, ids))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def check(case: Any) -> None:
        headers = identity.fresh() if key in THROWAWAY_TOKEN else identity.current()
        if key == EVENT_STREAM:
            _stream_and_validate(case, headers)
            return
        try:
            response = case.call_and_validate(headers=headers, timeout=10)
        except requests.Timeout as exc:
            raise AssertionError(f"no answer in 10 s: {case.as_curl_command()}") from exc
        if response.status_code == 401 and key not in THROWAWAY_TOKEN:
            identity.recheck()

    check()
