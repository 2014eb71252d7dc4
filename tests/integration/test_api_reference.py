"""docs/api.md against the server: the reference a clone carries must say what the API is.

Every operation of ``/openapi.json`` has its own heading in the reference, every operation the
reference names exists, and the names clients match on (events, alert types) are all listed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dispatchd.api.app import create_app
from dispatchd.config import Settings
from dispatchd.domain.alerts import AlertType
from dispatchd.domain.events import EventName

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "api.md"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
HEADING = re.compile(r"^### `(" + "|".join(METHODS) + r") (/\S*)`$", re.MULTILINE)
MENTION = re.compile(r"`(" + "|".join(METHODS) + r") (/[^`\s?]*)")
API_PREFIX = "/api/v1"

Operation = tuple[str, str]


def _operation(method: str, path: str) -> Operation:
    """An operation with its path parameters unnamed: ``{id}`` and ``{order_id}`` match."""
    return method.upper(), re.sub(r"\{[^}]*\}", "{}", path)


@pytest.fixture(scope="module")
def documented() -> str:
    return REFERENCE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> set[Operation]:
    app = create_app(Settings(environment="test", data_dir=tmp_path_factory.mktemp("data")))
    return {
        _operation(method, path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }


def _headings(text: str) -> list[Operation]:
    return [_operation(method, path) for method, path in HEADING.findall(text)]


def test_every_operation_of_the_openapi_document_has_its_heading_in_the_reference(
    documented: str, served: set[Operation]
) -> None:
    assert sorted(served - set(_headings(documented))) == []


def test_every_operation_the_reference_describes_exists_in_the_openapi_document(
    documented: str, served: set[Operation]
) -> None:
    headings = _headings(documented)
    assert len(headings) == len(set(headings)), "an operation is described twice"
    assert sorted(set(headings) - served) == []


def test_every_operation_the_reference_mentions_in_passing_exists(
    documented: str, served: set[Operation]
) -> None:
    paths = {path for _method, path in served}
    unknown = []
    for method, path in MENTION.findall(documented):
        operation = _operation(method, path)
        if operation[1] not in paths:
            operation = _operation(method, API_PREFIX + path)
        if operation not in served:
            unknown.append(f"{method} {path}")
    assert unknown == []


def test_every_event_name_is_listed_in_the_reference(documented: str) -> None:
    missing = [name.value for name in EventName if f"`{name.value}`" not in documented]
    assert missing == []


def test_every_alert_type_is_listed_in_the_reference(documented: str) -> None:
    missing = [kind.value for kind in AlertType if f"`{kind.value}`" not in documented]
    assert missing == []


def test_the_openapi_document_these_checks_read_holds_every_part_of_the_api(
    served: set[Operation],
) -> None:
    prefixes = {path.split("/")[3] for _method, path in served if path.startswith(API_PREFIX)}
    assert {"orders", "offers", "installers", "zones", "alerts", "events", "me"} <= prefixes
