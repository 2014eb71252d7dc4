"""From acceptance to proof of work: notice with code, start, completion, flags, follow-up."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from dispatchd.config import Settings
from tests.helpers import IN_CENTRE, City
from tests.photos import jpeg, png


def sms_lines(settings: Settings) -> list[dict[str, Any]]:
    path = settings.data_dir / "sms.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def code_in(sms: dict[str, Any]) -> str:
    digits = [
        word for word in sms["body"].replace("，", " ").replace("：", " ").split() if word.isdigit()
    ]
    matches = [d for d in digits if len(d) == 6]
    assert len(matches) == 1, sms["body"]
    return matches[0]


class Job:
    """An accepted order and its installer, ready to be started and completed."""

    def __init__(self, city: City, client: TestClient, app: FastAPI) -> None:
        self.city = city
        self.client = client
        self.app = app
        self.zone = city.zone()
        self.installer = city.installer([self.zone], at=IN_CENTRE, name="Wang Wei")
        self.order = city.order()
        offer_id = self.order["current_offer"]["id"]
        accepted = client.post(f"/api/v1/offers/{offer_id}/accept", headers=self.headers)
        assert accepted.status_code == 200, accepted.text
        app.state.relay.run_due()

    @property
    def headers(self) -> dict[str, str]:
        return self.city.as_installer(self.installer)

    def start(self) -> None:
        response = self.client.post(
            f"/api/v1/orders/{self.order['id']}/start", headers=self.headers
        )
        assert response.status_code == 200, response.text

    def complete(
        self,
        code: str | None = None,
        photo: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        data = {"service_code": code} if code is not None else {}
        return self.client.post(
            f"/api/v1/orders/{self.order['id']}/complete",
            files={"photo": ("work.jpg", photo if photo is not None else jpeg(), "image/jpeg")},
            data=data,
            headers=headers or self.headers,
        )


@pytest.fixture
def job(city: City, client: TestClient, app: FastAPI) -> Job:
    return Job(city, client, app)


def test_acceptance_sends_the_customer_the_installer_and_a_service_code(
    job: Job, settings: Settings
) -> None:
    [sms] = sms_lines(settings)
    assert sms["to"] == "+8613912345678"
    assert sms["order_id"] == job.order["id"]
    assert "Wang Wei" in sms["body"]
    assert "+8613800138001" in sms["body"]
    assert job.order["tracking_url"] in sms["body"]
    assert len(code_in(sms)) == 6
    assert isinstance(sms["ref"], int)
    detail = job.client.get(f"/api/v1/orders/{job.order['id']}", headers=job.city.admin).json()
    notified = [e for e in detail["events"] if e["event"] == "customer.notified"]
    assert len(notified) == 1
    assert code_in(sms) not in json.dumps(detail)


def test_the_relay_sends_each_message_once(job: Job, settings: Settings) -> None:
    job.app.state.relay.run_due()
    job.app.state.relay.run_due()
    assert len(sms_lines(settings)) == 1


def test_the_right_code_completes_the_job_without_a_flag(job: Job, settings: Settings) -> None:
    job.start()
    response = job.complete(code_in(sms_lines(settings)[0]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "completed"
    assert body["flags"] == []
    assert body["completed_at"] is not None
    alerts = job.client.get("/api/v1/alerts", headers=job.city.admin).json()["items"]
    assert alerts == []


def test_a_code_with_spaces_is_still_the_code(job: Job, settings: Settings) -> None:
    job.start()
    code = code_in(sms_lines(settings)[0])
    response = job.complete(f"{code[:3]} {code[3:]}")
    assert response.json()["flags"] == []


def test_completion_without_the_code_is_flagged_for_a_follow_up_call(job: Job) -> None:
    job.start()
    response = job.complete()
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert response.json()["flags"] == ["missing_service_code"]
    admin = job.city.admin
    alerts = job.client.get("/api/v1/alerts", headers=admin).json()["items"]
    assert [(a["type"], a["order_id"]) for a in alerts] == [("follow_up_required", job.order["id"])]
    flagged = job.client.get("/api/v1/orders?flagged=true", headers=admin).json()["items"]
    assert [o["id"] for o in flagged] == [job.order["id"]]
    events = job.client.get(f"/api/v1/orders/{job.order['id']}", headers=admin).json()["events"]
    assert "order.flagged" in [e["event"] for e in events]

    resolved = job.client.post(
        f"/api/v1/orders/{job.order['id']}/follow-up",
        json={"outcome": "customer confirmed", "note": "all fine"},
        headers=admin,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["follow_up"]["outcome"] == "customer confirmed"
    assert job.client.get("/api/v1/orders?flagged=true", headers=admin).json()["items"] == []
    assert job.client.get("/api/v1/alerts", headers=admin).json()["items"] == []
    events = job.client.get(f"/api/v1/orders/{job.order['id']}", headers=admin).json()["events"]
    assert "order.follow_up_resolved" in [e["event"] for e in events]
    again = job.client.post(
        f"/api/v1/orders/{job.order['id']}/follow-up", json={"outcome": "x"}, headers=admin
    )
    assert again.status_code == 409


def test_wrong_codes_are_forgiven_four_times_then_the_code_locks(
    job: Job, settings: Settings
) -> None:
    job.start()
    right = code_in(sms_lines(settings)[0])
    wrong = "000000" if right != "000000" else "111111"
    left = []
    for _ in range(5):
        response = job.complete(wrong)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "service_code"
        left.append(response.json()["attempts_left"])
    assert left == [4, 3, 2, 1, 0]
    locked = job.complete(right)
    assert locked.status_code == 422
    assert "locked" in locked.json()["detail"]
    done = job.complete()
    assert done.status_code == 200
    assert done.json()["flags"] == ["service_code_mismatch"]
    alerts = job.client.get("/api/v1/alerts", headers=job.city.admin).json()["items"]
    assert [a["type"] for a in alerts] == ["follow_up_required"]


def test_completion_needs_the_start_first(job: Job) -> None:
    response = job.complete()
    assert response.status_code == 409


def test_a_file_that_is_not_an_image_is_refused_with_415(job: Job) -> None:
    job.start()
    response = job.complete(photo=b"%PDF-1.4 not a photo")
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    assert job.complete(photo=gif.getvalue()).status_code == 415
    order = job.client.get(f"/api/v1/orders/{job.order['id']}", headers=job.city.admin).json()
    assert order["status"] == "in_progress"


def test_a_photo_over_the_size_limit_is_refused_with_413(job: Job, settings: Settings) -> None:
    job.start()
    response = job.complete(photo=b"\xff\xd8" + b"0" * (settings.max_photo_bytes + 1))
    assert response.status_code == 413


def test_a_decompression_bomb_is_refused_with_413(job: Job) -> None:
    job.start()
    bomb = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(bomb, "PNG")
    response = job.complete(photo=bomb.getvalue())
    assert response.status_code == 413


def test_another_installer_cannot_complete_or_see_the_photo(job: Job) -> None:
    job.start()
    other = job.city.installer([job.zone], at={"lat": 31.16, "lon": 121.41})
    intruder = job.city.as_installer(other)
    assert job.complete(headers=intruder).status_code == 404
    assert job.complete().status_code == 200
    photo_path = f"/api/v1/orders/{job.order['id']}/photo"
    assert job.client.get(photo_path, headers=intruder).status_code == 404


def test_the_photo_is_re_encoded_without_metadata_and_has_a_thumbnail(job: Job) -> None:
    job.start()
    source = io.BytesIO()
    image = Image.new("RGB", (800, 600), (1, 2, 3))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif[0x8825] = {2: (31.0, 13.0, 0.0)}
    exif.get_ifd(0x8769)[0x9003] = "2026:11:25 10:30:00"
    image.save(source, "PNG", exif=exif.tobytes())
    assert job.complete(photo=source.getvalue()).status_code == 200
    path = f"/api/v1/orders/{job.order['id']}/photo"
    full = job.client.get(path, headers=job.city.admin)
    assert full.status_code == 200
    assert full.headers["content-type"] == "image/jpeg"
    stored = Image.open(io.BytesIO(full.content))
    assert stored.format == "JPEG"
    assert stored.size == (800, 600)
    kept = stored.getexif()
    assert 0x010F not in kept
    assert 0x8825 not in kept
    assert kept.get_ifd(0x8769).get(0x9003) == "2026:11:25 10:30:00"
    thumb = job.client.get(path + "?size=thumb", headers=job.headers)
    assert thumb.status_code == 200
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 320


def test_photos_are_stored_by_content_under_the_data_dir(job: Job, settings: Settings) -> None:
    job.start()
    job.complete(photo=png())
    stored = list(Path(settings.data_dir / "photos").rglob("*.jpg"))
    assert len(stored) == 2
    assert all(len(p.name.split(".")[0]) == 64 for p in stored)


def test_the_tracking_link_shows_status_and_the_installer_once_accepted(
    city: City, client: TestClient, app: FastAPI
) -> None:
    zone = city.zone()
    order = city.order()
    token = order["tracking_url"].rsplit("/", 1)[1]
    before = client.get(f"/api/v1/track/{token}").json()
    assert before["status"] == "pending"
    assert before["installer"] is None
    installer = city.installer([zone], at=IN_CENTRE, name="Wang Wei")
    offer = client.get(f"/api/v1/orders/{order['id']}", headers=city.admin).json()["current_offer"]
    client.post(f"/api/v1/offers/{offer['id']}/accept", headers=city.as_installer(installer))
    after = client.get(f"/api/v1/track/{token}").json()
    assert after["status"] == "accepted"
    assert after["installer"] == {"name": "Wang Wei", "phone": "+8613800138001"}
    assert set(after) == {
        "status",
        "product",
        "created_at",
        "accepted_at",
        "on_the_way_at",
        "started_at",
        "completed_at",
        "cancelled_at",
        "installer",
        "appointment",
        "distance_km",
        "eta_min",
        "can_rate",
        "can_reschedule",
        "rating",
    }
    page = client.get(f"/t/{token}", headers={"accept-language": "en-GB"})
    assert page.status_code == 200
    assert "Wang Wei" in page.text
    assert "An installer is assigned" in page.text
    chinese = client.get(f"/t/{token}")
    assert "师傅已接单" in chinese.text
    assert client.get("/t/not-a-token").status_code == 404
    assert client.get("/api/v1/track/not-a-token").status_code == 404


def test_tracking_lookups_are_rate_limited(client: TestClient) -> None:
    statuses = [client.get(f"/api/v1/track/guess-{n}").status_code for n in range(61)]
    assert statuses[:60] == [404] * 60
    assert statuses[60] == 429


def test_with_notice_on_offer_the_customer_hears_at_once_and_again_on_redispatch(
    city: City, client: TestClient, app: FastAPI, settings: Settings
) -> None:
    policy = client.get("/api/v1/policy", headers=city.admin).json()
    client.put("/api/v1/policy", json={**policy, "customer_notice": "on_offer"}, headers=city.admin)
    zone = city.zone()
    first = city.installer([zone], at=IN_CENTRE, name="First")
    city.installer([zone], at={"lat": 31.25, "lon": 121.50}, name="Second")
    order = city.order()
    app.state.relay.run_due()
    client.post(
        f"/api/v1/offers/{order['current_offer']['id']}/decline", headers=city.as_installer(first)
    )
    app.state.relay.run_due()
    bodies = [line["body"] for line in sms_lines(settings)]
    assert len(bodies) == 2
    assert "First" in bodies[0]
    assert "Second" in bodies[1]
