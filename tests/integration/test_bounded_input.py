"""Bounded input: size, nesting, media type and text rules hold on every route, and refuse
with a problem document that names the limit and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dispatchd.api.app import create_app
from dispatchd.config import Settings
from dispatchd.service.clock import FakeClock
from dispatchd.store import tables as t
from tests.helpers import CENTRE, IN_CENTRE, City
from tests.live import serve_in_thread
from tests.photos import jpeg

DEEP = b"[" * 100_000 + b"]" * 100_000
MIB = 1024 * 1024


def _counts(client: TestClient) -> dict[str, int]:
    dispatcher = client.app.state.dispatcher  # type: ignore[attr-defined]
    tables = (t.orders, t.zones, t.installers, t.users, t.events, t.idempotency_keys, t.policies)
    with dispatcher.reading() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in tables
        }


def _json(client: TestClient, method: str, path: str, body: bytes, **headers: str) -> Any:
    return client.request(
        method, path, content=body, headers={"content-type": "application/json", **headers}
    )


def _order(**changes: Any) -> dict[str, Any]:
    return {
        "customer": {"name": "Li Lei", "phone": "+8613912345678"},
        "address": "1 Nanjing Road",
        "location": dict(IN_CENTRE),
        "product": "Air conditioner",
        **changes,
    }


def test_a_deeply_nested_body_is_refused_on_every_route_with_or_without_a_key(
    city: City, client: TestClient
) -> None:
    installer = city.installer([city.zone()], on_duty=False)
    before = _counts(client)
    routes = [
        ("POST", "/api/v1/zones"),
        ("POST", "/api/v1/orders"),
        ("PUT", "/api/v1/policy"),
        ("PATCH", f"/api/v1/installers/{installer}"),
        ("POST", "/api/v1/users"),
        ("POST", "/api/v1/auth/token"),
    ]
    for method, path in routes:
        for key in ({}, {"Idempotency-Key": f"deep-{method}-{path}"}):
            body = b'{"name": ' + DEEP + b"}"
            response = _json(client, method, path, body, **city.admin, **key)
            assert response.status_code == 422, (method, path, key, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["type"].endswith("too-deep")
            assert "32 levels" in problem["detail"]
            assert problem["errors"] == [
                {
                    "field": "body",
                    "message": "nests deeper than 32 levels",
                    "type": "too_deep",
                    "ctx": {"max_depth": 32},
                }
            ]
    assert _counts(client) == before


def test_a_body_at_the_nesting_limit_is_parsed_and_one_level_more_is_not(
    city: City, client: TestClient
) -> None:
    at_limit = b'{"name": ' + b"[" * 31 + b"]" * 31 + b', "boundary": {}}'
    response = _json(client, "POST", "/api/v1/zones", at_limit, **city.admin)
    assert response.status_code == 422
    assert response.json()["type"].endswith("invalid-input")
    assert "name" in [error["field"] for error in response.json()["errors"]]
    over = b'{"name": ' + b"[" * 32 + b"]" * 32 + b', "boundary": {}}'
    refused = _json(client, "POST", "/api/v1/zones", over, **city.admin)
    assert refused.json()["type"].endswith("too-deep")


def test_the_nesting_limit_is_the_one_the_settings_name(
    settings: Settings, clock: FakeClock
) -> None:
    shallow = settings.model_copy(update={"max_json_depth": 4})
    with TestClient(create_app(shallow, clock)) as client:
        city = City(client)
        body = json.dumps({"name": "Centre", "boundary": CENTRE}).encode()
        response = _json(client, "POST", "/api/v1/zones", body, **city.admin)
        assert response.status_code == 422
        assert "limit of 4 levels" in response.json()["detail"]
        assert _counts(client)["zones"] == 0


def test_a_json_body_that_is_not_utf8_is_refused_before_parsing(
    city: City, client: TestClient
) -> None:
    before = _counts(client)
    for body in (json.dumps(_order()).encode("utf-16"), b'{"name": "\xff"}'):
        response = _json(client, "POST", "/api/v1/orders", body, **city.admin)
        assert response.status_code == 400, response.text
        assert response.json()["errors"] == [
            {"field": "body", "message": "is not UTF-8 text", "type": "not_utf8"}
        ]
    assert _counts(client) == before


@pytest.fixture
def base_url(app: FastAPI) -> Iterator[str]:
    with serve_in_thread(app) as url:
        yield url


def _chunks(total: int, prefix: bytes = b"") -> Iterator[bytes]:
    yield prefix
    chunk = b"x" * (64 * 1024)
    for _ in range(total // len(chunk)):
        yield chunk


def test_a_50_mb_chunked_body_is_a_413_and_the_server_answers_after_it(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        for content_type in ("application/json", "multipart/form-data; boundary=xyz"):
            response = http.post(
                "/api/v1/orders",
                content=_chunks(50 * MIB, b'{"notes": "'),
                headers={"content-type": content_type},
            )
            assert "content-length" not in response.request.headers
            assert response.status_code == 413, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"].endswith("too-large")
            assert "limit of" in response.json()["detail"]
        assert http.get("/healthz").status_code == 200


def test_json_sent_as_another_media_type_is_a_415_naming_json(
    city: City, client: TestClient
) -> None:
    city.zone()
    before = _counts(client)
    body = json.dumps(_order()).encode()
    for headers in ({"content-type": "text/plain"}, {}, {"content-type": "multipart/form-data"}):
        response = client.post("/api/v1/orders", content=body, headers={**city.admin, **headers})
        assert response.status_code == 415, (headers, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert "application/json" in response.json()["detail"]
    assert _counts(client) == before


def test_a_completion_sent_as_json_is_a_415_naming_multipart(
    city: City, client: TestClient
) -> None:
    installer = city.installer([city.zone()], at=IN_CENTRE)
    order = city.order()
    response = client.post(
        f"/api/v1/orders/{order['id']}/complete",
        json={"service_code": "123456"},
        headers=city.as_installer(installer),
    )
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/api/v1/orders", '{"notes": "a\\u0000b"}', "notes"),
        ("POST", "/api/v1/orders", '{"notes": "a\\udc00b"}', "notes"),
        ("POST", "/api/v1/orders", '{"customer": {"name": "\\ud800"}}', "customer.name"),
        ("POST", "/api/v1/zones", '{"name": "North\\u0000"}', "name"),
        ("PATCH", "/api/v1/installers/{installer}", '{"name": "\\udc00"}', "name"),
        ("PATCH", "/api/v1/installers/{installer}", '{"skills": ["ok", "a\\u0000"]}', "skills[1]"),
    ],
)
def test_nul_and_lone_surrogates_in_json_text_are_refused_naming_the_field(
    city: City, client: TestClient, method: str, path: str, body: str, field: str
) -> None:
    installer = city.installer([city.zone()], on_duty=False)
    stored = client.get(f"/api/v1/installers/{installer}", headers=city.admin).json()
    before = _counts(client)
    parsed = json.loads(body)
    whole = {**_order(), **parsed} if path.endswith("orders") else parsed
    if path.endswith("zones"):
        whole["boundary"] = CENTRE
    raw = json.dumps(whole, ensure_ascii=True).encode()
    response = _json(client, method, path.format(installer=installer), raw, **city.admin)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert _counts(client) == before
    assert client.get(f"/api/v1/installers/{installer}", headers=city.admin).json() == stored


def _multipart(fields: dict[str, bytes], charset: str | None = None) -> tuple[bytes, str]:
    boundary = "dispatchd-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in fields.items()
    ]
    photo = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="w.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + jpeg()
    body = b"".join(parts) + photo + f"\r\n--{boundary}--\r\n".encode()
    content_type = f"multipart/form-data; boundary={boundary}"
    return body, content_type + (f"; charset={charset}" if charset else "")


@pytest.mark.parametrize(
    ("fields", "charset", "field"),
    [
        ({"notes": b"left at the door\x00"}, None, "notes"),
        ({"service_code": b"12\x003456"}, None, "service_code"),
        ({"notes": b"+3AA-"}, "utf-7", "notes"),
        ({"notes": b"x" * 2001}, None, "notes"),
    ],
)
@pytest.mark.parametrize("key", [None, "complete-once"])
def test_bad_text_in_a_completion_form_is_refused_naming_the_field(
    city: City,
    client: TestClient,
    settings: Settings,
    fields: dict[str, bytes],
    charset: str | None,
    field: str,
    key: str | None,
) -> None:
    installer = city.installer([city.zone()], at=IN_CENTRE)
    headers = city.as_installer(installer)
    order = city.order()
    accepted = client.post(f"/api/v1/offers/{order['current_offer']['id']}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert client.post(f"/api/v1/orders/{order['id']}/start", headers=headers).status_code == 200
    before = _counts(client)
    body, content_type = _multipart(fields, charset)
    extra = {"Idempotency-Key": key} if key else {}
    response = client.post(
        f"/api/v1/orders/{order['id']}/complete",
        content=body,
        headers={**headers, **extra, "content-type": content_type},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert _counts(client) == before
    after = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()
    assert after["status"] == "in_progress"
    photos = Path(settings.data_dir) / "photos"
    assert not photos.exists() or not [p for p in photos.rglob("*") if p.is_file()]


def test_a_405_allows_every_method_the_path_takes(city: City, client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    checked = 0
    for template, operations in document["paths"].items():
        served = {method.upper() for method in operations}
        unserved = next(m for m in ("PUT", "DELETE", "PATCH", "POST", "GET") if m not in served)
        path = template.replace("{", "").replace("}", "")
        response = client.request(unserved, path, headers=city.admin)
        assert response.status_code == 405, (unserved, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        allowed = {method.strip() for method in response.headers["allow"].split(",")}
        assert allowed == served, (template, allowed, served)
        checked += 1
    assert checked > 40


@pytest.mark.parametrize("route", ["/api/v1/auth/token", "/api/v1/auth/session"])
def test_a_wrong_password_and_an_unknown_user_get_the_same_401(
    client: TestClient, route: str
) -> None:
    wrong = client.post(route, json={"username": "admin", "password": "nope-nope"})
    unknown = client.post(route, json={"username": "nobody", "password": "nope-nope"})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["type"].endswith("unauthenticated")
    assert wrong.json() == unknown.json()


@pytest.mark.parametrize("field", ["name", "phone", "capacity", "zone_ids", "skills", "on_duty"])
def test_patching_an_installer_field_to_null_is_refused_and_changes_nothing(
    city: City, client: TestClient, field: str
) -> None:
    installer = city.installer([city.zone()], skills=["split-ac"])
    path = f"/api/v1/installers/{installer}"
    stored = client.get(path, headers=city.admin).json()
    before = _counts(client)
    response = client.patch(path, json={field: None}, headers=city.admin)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert "null" in response.json()["detail"]
    assert client.get(path, headers=city.admin).json() == stored
    assert _counts(client) == before


@pytest.mark.parametrize("field", ["name", "boundary"])
def test_patching_a_zone_field_to_null_is_refused(
    city: City, client: TestClient, field: str
) -> None:
    zone = city.zone()
    stored = client.get(f"/api/v1/zones/{zone}", headers=city.admin).json()
    response = client.patch(f"/api/v1/zones/{zone}", json={field: None}, headers=city.admin)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert client.get(f"/api/v1/zones/{zone}", headers=city.admin).json() == stored


def test_nulls_in_a_policy_put_keep_what_is_stored(city: City, client: TestClient) -> None:
    stored = client.get("/api/v1/policy", headers=city.admin).json()
    body = {
        "escalation": stored["escalation"],
        "promises": {"appointment": None, "arrival": None, "completion": None},
        "max_window_s": None,
        "ranking": None,
    }
    response = client.put("/api/v1/policy", json=body, headers=city.admin)
    assert response.status_code == 200, response.text
    assert client.get("/api/v1/policy", headers=city.admin).json() == stored
    nulls = {"escalation": None, "max_auto_attempts": None, "customer_notice": None}
    refused = client.put("/api/v1/policy", json=nulls, headers=city.admin)
    assert refused.status_code == 422
    assert {error["field"] for error in refused.json()["errors"]} == set(nulls)


def test_the_openapi_document_describes_every_problem_as_problem_json(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    assert "ValidationError" not in json.dumps(document)
    problem = document["components"]["schemas"]["ProblemOut"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert "errors" in problem["properties"]
    reference = {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemOut"}}
    }
    problems = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status, response in responses.items():
                if status.startswith("4"):
                    assert response["content"] == reference, (method, path, status)
                    problems += 1
            if not path.startswith("/api/v1/"):
                continue
            assert "400" in responses, (method, path)
            if "requestBody" in operation:
                assert {"413", "415", "422"} <= set(responses), (method, path)
            if "{" in path:
                assert {"404", "422"} <= set(responses), (method, path)
    assert problems > 200
    login = document["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert {"401", "429"} <= set(login)
    assert "403" not in login
    assert {"401", "403"} <= set(document["paths"]["/api/v1/zones"]["post"]["responses"])


def test_bad_text_in_a_boundarys_bbox_is_refused_naming_it(city: City, client: TestClient) -> None:
    boundary = json.dumps(CENTRE)[:-1] + ', "bbox": ["\\u0000"]}'
    body = ('{"name": "North", "boundary": ' + boundary + "}").encode()
    response = _json(client, "POST", "/api/v1/zones", body, **city.admin)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["boundary.bbox[0]"]
    assert _counts(client)["zones"] == 0


def test_bad_text_in_a_foreign_member_of_a_boundary_is_never_stored(
    city: City, client: TestClient
) -> None:
    boundary = json.dumps(CENTRE)[:-1] + ', "properties": {"n\\udc00": "x"}}'
    body = ('{"name": "North", "boundary": ' + boundary + "}").encode()
    response = _json(client, "POST", "/api/v1/zones", body, **city.admin)
    assert response.status_code == 201, response.text
    assert set(response.json()["boundary"]) == {"type", "coordinates"}
    listed = client.get("/api/v1/zones", headers=city.admin)
    assert listed.status_code == 200
    assert "properties" not in listed.text


def test_the_openapi_document_asks_for_the_bearer_token_exactly_where_the_server_does(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    checked = 0
    for path, operations in document["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            concrete = path.replace("{", "").replace("}", "")
            if method != "get" or "{" in path:
                continue
            answered = client.get(concrete).status_code
            secured = operation.get("security") == [{"bearer": []}]
            assert secured == (answered == 401), (path, answered, operation.get("security"))
            checked += 1
    assert checked > 10
