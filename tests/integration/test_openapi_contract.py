"""The generated OpenAPI document against a live server: schemathesis fuzzes every operation.

No input may make the server fail (5xx), and every answer — success or problem — must match
what the document declares (status code, media type, body schema).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from tests.conftest import ADMIN_PASSWORD
from tests.helpers import CENTRE
from tests.live import serve_in_thread

pytestmark = pytest.mark.slow


@pytest.fixture
def base_url(app: FastAPI) -> Iterator[str]:
    with serve_in_thread(app) as url:
        yield url


def _seed(base_url: str) -> dict[str, str]:
    with httpx.Client(base_url=base_url) as http:
        token = http.post(
            "/api/v1/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        admin = {"Authorization": f"Bearer {token}"}
        http.post("/api/v1/zones", json={"name": "Centre", "boundary": CENTRE}, headers=admin)
    return admin


def test_every_operation_answers_as_documented(base_url: str) -> None:
    admin = _seed(base_url)
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json").include(
        path_regex="^/api/v1/(?!events|auth/logout|auth/session)"
    )
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=admin, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert operations > 20
    assert failures == [], "\n\n".join(failures)
