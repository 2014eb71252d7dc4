"""A completion upload is authorised before it is decoded, and leaves no file unless it commits.

Refusals (someone else's order, an unknown one, one that cannot be completed yet) leave the
data directory byte-for-byte as it was and never open the image; a completion that fails
after its photo was written leaves nothing; a half-done photo from a crash is settled on the
next start.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from dispatchd.api.app import create_app
from dispatchd.config import Settings
from dispatchd.service.clock import FakeClock
from dispatchd.store.photos import STALE_PART_S
from tests.helpers import City
from tests.integration.test_proof_of_work import Job, code_in, sms_lines
from tests.outbound import StubResolver
from tests.photos import png

SQLITE_SHARED_MEMORY = "-shm"


@pytest.fixture
def job(city: City, client: TestClient, app: FastAPI) -> Job:
    return Job(city, client, app)


def _snapshot(data_dir: Path) -> dict[str, str]:
    """Every file under the data directory and the SHA-256 of its bytes.

    SQLite's shared-memory index (``-shm``) is left out: readers take their read marks in it,
    and it holds no data.
    """
    return {
        str(path.relative_to(data_dir)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(data_dir.rglob("*"))
        if path.is_file() and not path.name.endswith(SQLITE_SHARED_MEMORY)
    }


def _files(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*") if path.is_file())


@pytest.mark.parametrize("case", ["another installer", "unknown order", "not started"])
def test_a_completion_nobody_may_make_is_refused_before_the_photo_is_opened_or_written(
    job: Job, settings: Settings, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    photo = png(6300, 6300)
    headers = job.headers
    if case == "another installer":
        job.start()
        other = job.city.installer([job.zone], at={"lat": 31.16, "lon": 121.41})
        headers = job.city.as_installer(other)
    elif case == "unknown order":
        job.start()
        job.order = {**job.order, "id": "ord_doesnotexist"}
    expected = 409 if case == "not started" else 404
    opened: list[object] = []

    def refuse(*args: object, **_kwargs: object) -> Image.Image:
        opened.append(args)
        raise AssertionError("the image was opened before the upload was authorised")

    before = _snapshot(settings.data_dir)
    monkeypatch.setattr(Image, "open", refuse)
    response = job.complete(photo=photo, headers=headers)
    monkeypatch.undo()
    assert response.status_code == expected, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert opened == []
    assert _snapshot(settings.data_dir) == before


def test_a_completion_that_fails_after_its_photo_was_written_leaves_no_file(
    job: Job, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    job.start()
    photos = settings.data_dir / "photos"
    written_when_it_failed: list[Path] = []

    def fault(*_args: object) -> None:
        written_when_it_failed.extend(_files(photos))
        raise RuntimeError("injected fault after the photo was written")

    monkeypatch.setattr("dispatchd.service.handlers.jobs.offer_waiting_orders_to_freed", fault)
    with pytest.raises(RuntimeError, match="injected fault"):
        job.complete(photo=png())
    assert [path.suffix for path in written_when_it_failed] == [".part", ".part"]
    assert _files(photos) == []
    order = job.client.get(f"/api/v1/orders/{job.order['id']}", headers=job.city.admin).json()
    assert order["status"] == "in_progress"


def test_a_refused_code_keeps_no_photo_and_a_completion_keeps_exactly_its_own(
    job: Job, settings: Settings
) -> None:
    job.start()
    photos = settings.data_dir / "photos"
    code = code_in(sms_lines(settings)[-1])
    wrong = job.complete(code=f"{(int(code) + 1) % 1_000_000:06d}", photo=png())
    assert wrong.status_code == 422
    assert _files(photos) == []
    assert job.complete(photo=png()).status_code == 200
    kept = _files(photos)
    assert [path.name.endswith((".jpg", ".thumb.jpg")) for path in kept] == [True, True]


def test_a_retry_of_a_completion_is_answered_again_without_opening_the_photo(
    job: Job, monkeypatch: pytest.MonkeyPatch
) -> None:
    job.start()
    headers = {**job.headers, "Idempotency-Key": "complete-once"}
    first = job.complete(photo=png(), headers=headers)
    assert first.status_code == 200
    opened: list[object] = []
    monkeypatch.setattr(Image, "open", lambda *args, **_kw: opened.append(args))
    again = job.complete(photo=png(), headers=headers)
    assert (again.status_code, again.json()) == (200, first.json())
    assert opened == []


def _restart(settings: Settings) -> None:
    with TestClient(create_app(settings, FakeClock(), StubResolver())):
        pass


def _age(path: Path, seconds: float) -> None:
    moment = path.stat().st_mtime - seconds
    os.utime(path, (moment, moment))


def test_on_start_an_orphaned_part_file_is_deleted_and_a_committed_one_is_put_in_place(
    job: Job, settings: Settings, client: TestClient
) -> None:
    job.start()
    assert job.complete(photo=png()).status_code == 200
    photos = settings.data_dir / "photos"
    full = next(path for path in _files(photos) if not path.name.endswith(".thumb.jpg"))
    crashed_before_the_move = full.with_name(f"{full.name}.k3y7z.part")
    full.rename(crashed_before_the_move)
    orphan_key = "ab" * 32
    orphan = photos / "ab" / "ab" / f"{orphan_key}.jpg.q9x2w.part"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"half a photo")
    running = photos / "ab" / "ab" / f"{orphan_key}.thumb.jpg.r4n1g.part"
    running.write_bytes(b"a request still writing")
    for stale in (crashed_before_the_move, orphan):
        _age(stale, STALE_PART_S + 60)
    _restart(settings)
    assert full.exists()
    assert not crashed_before_the_move.exists()
    assert not orphan.exists()
    assert running.exists()
    photo = client.get(f"/api/v1/orders/{job.order['id']}/photo", headers=job.city.admin)
    assert photo.status_code == 200
