"""Proof of work against a live server: notice with code, start, completion, flags, follow-up."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest
from PIL import Image

from tests.e2e.conftest import build_city, new_order
from tests.e2e.server import Api, ServerProcess
from tests.photos import jpeg

pytestmark = pytest.mark.e2e


def _sms_code(server: ServerProcess, order_id: str) -> str:
    deadline = time.monotonic() + 15
    path = server.data_dir / "sms.jsonl"
    while time.monotonic() < deadline:
        if path.exists():
            for line in path.read_text().splitlines():
                sms = json.loads(line)
                if sms["order_id"] == order_id:
                    words = sms["body"].replace("：", " ").replace("，", " ").split()
                    return next(w for w in words if w.isdigit() and len(w) == 6)
        time.sleep(0.1)
    raise TimeoutError("no SMS for the order")


def _complete(api: Api, order_id: str, headers: dict[str, str], **fields: Any) -> Any:
    photo = fields.pop("photo", jpeg())
    return api.http.post(
        f"/api/v1/orders/{order_id}/complete",
        files={"photo": ("work.jpg", photo, "image/jpeg")},
        data=fields,
        headers=headers,
    )


def _accepted_job(api: Api, city: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    installer = city["installers"][0]
    order = new_order(api, city["admin"])
    offer_id = order["current_offer"]["id"]
    api.call("POST", f"/api/v1/offers/{offer_id}/accept", installer["headers"])
    api.call("POST", f"/api/v1/orders/{order['id']}/start", installer["headers"])
    return order, installer["headers"]


def test_the_whole_proof_of_work_over_http(server: ServerProcess) -> None:
    server.start()
    api = Api(server.base_url)
    city = build_city(api, installers=2)
    other = city["installers"][1]["headers"]

    order, mine = _accepted_job(api, city)
    tracking = api.http.get(f"/api/v1/track/{order['tracking_url'].rsplit('/', 1)[1]}").json()
    assert tracking["installer"]["name"] == "Installer 0"
    code = _sms_code(server, order["id"])
    assert _complete(api, order["id"], other, service_code=code).status_code == 404
    assert _complete(api, order["id"], mine, photo=b"not an image").status_code == 415
    too_big = b"\xff\xd8" + b"0" * (15 * 1024 * 1024 + 1)
    assert _complete(api, order["id"], mine, photo=too_big).status_code == 413
    done = _complete(api, order["id"], mine, service_code=code)
    assert done.status_code == 200, done.text
    assert done.json()["flags"] == []
    photo = api.http.get(f"/api/v1/orders/{order['id']}/photo", headers=city["admin"])
    assert Image.open(io.BytesIO(photo.content)).format == "JPEG"

    unflagged, mine = _accepted_job(api, city)
    no_code = _complete(api, unflagged["id"], mine)
    assert no_code.json()["flags"] == ["missing_service_code"]

    locked, mine = _accepted_job(api, city)
    wrong = "000000" if _sms_code(server, locked["id"]) != "000000" else "111111"
    left = [
        _complete(api, locked["id"], mine, service_code=wrong).json()["attempts_left"]
        for _ in range(5)
    ]
    assert left == [4, 3, 2, 1, 0]
    assert _complete(api, locked["id"], mine).json()["flags"] == ["service_code_mismatch"]

    alerts = api.call("GET", "/api/v1/alerts?type=follow_up_required", city["admin"])["items"]
    assert {a["order_id"] for a in alerts} == {unflagged["id"], locked["id"]}
    flagged = api.call("GET", "/api/v1/orders?flagged=true", city["admin"])["items"]
    assert {o["id"] for o in flagged} == {unflagged["id"], locked["id"]}
    for item in flagged:
        api.call(
            "POST",
            f"/api/v1/orders/{item['id']}/follow-up",
            city["admin"],
            {"outcome": "called the customer", "note": "installed fine"},
        )
    assert api.call("GET", "/api/v1/orders?flagged=true", city["admin"])["items"] == []
    api.close()
