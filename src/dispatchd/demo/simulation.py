"""The demo's simulated phones and shop, playing the city over the HTTP API as real ones would.

Some installers answer at once, some only after the reminder or the penalty, some never (their
offers are revoked and re-dispatched). After accepting, the prompt ones agree an arrival window
with the customer at once, set off and start inside it; the late ones agree it only after the
reminder (or the breach) and arrive after the window has closed; now and then the customer is
not home and the job is suspended until a moment when it resumes by itself. Jobs are completed
with a photo and the code the customer was sent by SMS (read from the demo's SMS file) — now
and then without it, which flags them for a follow-up call. Afterwards most customers rate the
job through their tracking link (the token read from the order's ``tracking_url``, as the
admin sees it): mostly four or five stars, now and then one or two, which asks a manager to
call them back.
"""

from __future__ import annotations

import heapq
import io
import itertools
import json
import queue
import random
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from PIL import Image, ImageDraw

from dispatchd.demo.city import (
    ADMIN_PASSWORD,
    SIMULATED_PASSWORD,
    DemoCity,
    SimulatedInstaller,
    inside,
    outside_every_district,
)
from dispatchd.demo.http import DemoHttp, DemoHttpError, FilePart

log = structlog.get_logger("dispatchd.demo")

PRODUCTS = [
    "空调 KFR-35GW",
    "空调 KFR-50LW",
    "燃气热水器 JSQ-16",
    "电热水器 60L",
    "洗碗机 13套",
    "油烟机 CXW-200",
    "净水器 RO-600G",
    "衣柜 2.0m",
    "智能门锁 S2",
]
STREETS = [
    "南京西路",
    "淮海中路",
    "延安东路",
    "衡山路",
    "陆家嘴环路",
    "世纪大道",
    "武康路",
    "长乐路",
]
SURNAMES = "李王张刘陈杨赵黄周吴"
WITHOUT_CODE_EVERY = 8
MAX_OPEN_ORDERS = 30
OUTSIDE_EVERY_ZONE_AT_S = 25.0
CUSTOMER_ABSENT_EVERY = 3
SUSPENDED_FOR_S = 30.0
SERVICE_CODE = re.compile(r"(?:服务码：|Service code: )(\d{6})")


def service_code_for(sms_file: Path, order_id: str) -> str | None:
    """The service code the customer of this order was sent (the latest), if any yet."""
    if not sms_file.exists():
        return None
    for line in reversed(sms_file.read_text(encoding="utf-8").splitlines()):
        message = json.loads(line)
        if message.get("order_id") != order_id:
            continue
        found = SERVICE_CODE.search(message.get("body", ""))
        if found:
            return found.group(1)
    return None


RATED_SHARE = 0.7
RATINGS: list[tuple[int, str | None]] = [
    (5, "师傅很专业，准时上门"),
    (5, None),
    (4, "安装不错，稍微晚到了一点"),
    (3, None),
    (2, "安装后没有清理现场"),
    (1, "迟到两小时，也没有提前联系"),
]
RATING_WEIGHTS = [40, 20, 20, 8, 7, 5]


class Simulation(threading.Thread):
    """Plays the simulated installers' phones and a trickle of shop orders over HTTP."""

    def __init__(self, city: DemoCity, base_url: str, sms_file: Path, seed: int = 11) -> None:
        super().__init__(name="dispatchd-demo", daemon=True)
        self.city = city
        self.sms_file = sms_file
        self.rng = random.Random(seed)  # noqa: S311 - a simulation, not a secret
        self.stop = threading.Event()
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._agenda: list[tuple[float, int, Callable[[], object]]] = []
        self._order = itertools.count()
        self._sims = {sim.id: sim for sim in city.installers}
        self._headers: dict[str, dict[str, str]] = {}
        self._http = DemoHttp(base_url)
        self._photo = FilePart("photo.jpg", _demo_photo(), "image/jpeg")
        self._completions = 0
        self._accepted = 0

    def run(self) -> None:
        """Wait for the server, log the phones in, then react to events and make orders."""
        if not self._wait_for_server():
            return
        try:
            admin = self._login("admin", ADMIN_PASSWORD)
            for sim in self.city.installers:
                self._headers[sim.id] = self._login(sim.username, SIMULATED_PASSWORD)
        except DemoHttpError as exc:
            log.error("demo could not log its phones in", error=str(exc))
            return
        self._headers["admin"] = admin
        threading.Thread(target=self._listen, args=(admin,), daemon=True).start()
        for delay in (1.0, 2.5, 4.0):
            self._at(delay, lambda: self._new_order(again=False))
        self._at(6.0, self._new_order)
        self._at(OUTSIDE_EVERY_ZONE_AT_S, self._order_outside_every_zone)
        self._at(15.0, self._wander)
        while not self.stop.is_set():
            self._run_due()
            wait = max(0.05, self._agenda[0][0] - time.monotonic()) if self._agenda else 1.0
            try:
                name, data = self.events.get(timeout=min(wait, 1.0))
            except queue.Empty:
                continue
            self._react(name, data)

    def _wait_for_server(self) -> bool:
        for _ in range(300):
            if self.stop.is_set():
                return False
            try:
                if self._http.get("/healthz", {}).ok:
                    return True
            except DemoHttpError:
                pass
            time.sleep(0.1)
        return False

    def _login(self, username: str, password: str) -> dict[str, str]:
        reply = self._http.post(
            "/api/v1/auth/token", {}, {"username": username, "password": password}
        )
        if not reply.ok:
            raise DemoHttpError(f"login of {username} answered {reply.status}")
        return {"Authorization": f"Bearer {reply.body['access_token']}"}

    def _listen(self, headers: dict[str, str]) -> None:
        """Follow the event stream as the admin (one connection for all simulated phones)."""
        last: str | None = None
        while not self.stop.is_set():
            path = "/api/v1/events" + (f"?after={last}" if last else "")
            try:
                for event_id, name, data in self._http.events(path, headers):
                    if self.stop.is_set():
                        return
                    last = event_id or last
                    self.events.put((name, data))
            except DemoHttpError:
                time.sleep(1)

    def _at(self, delay_s: float, action: Callable[[], object]) -> None:
        heapq.heappush(self._agenda, (time.monotonic() + delay_s, next(self._order), action))

    def _run_due(self) -> None:
        while self._agenda and self._agenda[0][0] <= time.monotonic():
            _, _, action = heapq.heappop(self._agenda)
            try:
                action()
            except DemoHttpError as exc:
                log.warning("demo action failed", error=str(exc))

    def _react(self, name: str, data: dict[str, Any]) -> None:
        sim = self._sims.get(str(data.get("installer_id")))
        if sim is None:
            return
        if name == "offer.sent":
            self._answer_later(sim, str(data["offer_id"]))
        elif name == "offer.accepted":
            self._plan_visit(sim, str(data["order_id"]))

    def _answer_later(self, sim: SimulatedInstaller, offer_id: str) -> None:
        """Prompt phones answer in seconds, late ones after the reminder or even the penalty."""
        if sim.temperament == "silent":
            return
        delay = self.rng.uniform(2, 8) if sim.temperament == "prompt" else self.rng.uniform(45, 85)
        answer = "decline" if self.rng.random() < 0.08 else "accept"
        path = f"/api/v1/offers/{offer_id}/{answer}"
        self._at(delay, lambda: self._post(sim, path))

    def _plan_visit(self, sim: SimulatedInstaller, order_id: str) -> None:
        """Agree a window with the customer, then turn up inside it, late, or find no one home."""
        self._accepted += 1
        if self._accepted % CUSTOMER_ABSENT_EVERY == 0:
            self._at(self.rng.uniform(3, 6), lambda: self._agree_window(sim, order_id, 20, 120))
            self._at(self.rng.uniform(8, 12), lambda: self._customer_absent(sim, order_id))
        elif sim.temperament == "late":
            agree_after = self.rng.uniform(40, 60)
            self._at(agree_after, lambda: self._agree_window(sim, order_id, 5, 20))
            self._at(agree_after + self.rng.uniform(30, 40), lambda: self._start(sim, order_id))
        else:
            self._at(self.rng.uniform(2, 5), lambda: self._agree_window(sim, order_id, 10, 90))
            self._at(self.rng.uniform(8, 10), lambda: self._set_off(sim, order_id))
            self._at(self.rng.uniform(15, 25), lambda: self._start(sim, order_id))

    def _agree_window(
        self, sim: SimulatedInstaller, order_id: str, starts_in_s: float, lasts_s: float
    ) -> None:
        start = datetime.now(UTC) + timedelta(seconds=starts_in_s)
        window = {
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(seconds=lasts_s)).isoformat(),
        }
        self._http.put(f"/api/v1/orders/{order_id}/appointment", self._headers[sim.id], window)

    def _set_off(self, sim: SimulatedInstaller, order_id: str) -> None:
        self._post(sim, f"/api/v1/orders/{order_id}/on-the-way")

    def _customer_absent(self, sim: SimulatedInstaller, order_id: str) -> None:
        """Nobody opens the door: the job waits, and resumes by itself a little later."""
        until = datetime.now(UTC) + timedelta(seconds=SUSPENDED_FOR_S)
        body = {"reason": "customer_absent", "note": "门铃无人应答", "until": until.isoformat()}
        reply = self._http.post(f"/api/v1/orders/{order_id}/suspend", self._headers[sim.id], body)
        if reply.ok:
            self._at(SUSPENDED_FOR_S + self.rng.uniform(5, 10), lambda: self._start(sim, order_id))

    def _start(self, sim: SimulatedInstaller, order_id: str) -> None:
        if self._post(sim, f"/api/v1/orders/{order_id}/start"):
            self._at(self.rng.uniform(10, 20), lambda: self._complete(sim, order_id))

    def _complete(self, sim: SimulatedInstaller, order_id: str) -> None:
        """Complete with the customer's code from their SMS, or now and then without it."""
        self._completions += 1
        without_code = self._completions % WITHOUT_CODE_EVERY == 0
        code = None if without_code else service_code_for(self.sms_file, order_id)
        reply = self._http.post(
            f"/api/v1/orders/{order_id}/complete",
            self._headers[sim.id],
            form={"service_code": code} if code else {},
            files={"photo": self._photo},
        )
        log.info(
            "demo completion",
            installer=sim.name,
            order=order_id,
            status=reply.status,
            with_code=code is not None,
        )
        if reply.ok and self.rng.random() < RATED_SHARE:
            self._at(self.rng.uniform(3, 12), lambda: self._rate(order_id))

    def _rate(self, order_id: str) -> None:
        """The customer opens the link from their SMS and rates the job."""
        order = self._http.get(f"/api/v1/orders/{order_id}", self._headers["admin"])
        link = order.body.get("tracking_url") if order.ok else None
        if not link:
            return
        stars, comment = self.rng.choices(RATINGS, weights=RATING_WEIGHTS)[0]
        token = str(link).rsplit("/", 1)[1]
        reply = self._http.post(
            f"/api/v1/track/{token}/rating", {}, {"stars": stars, "comment": comment}
        )
        log.info("demo rating", order=order_id, stars=stars, status=reply.status)

    def _post(self, sim: SimulatedInstaller, path: str) -> bool:
        return self._http.post(path, self._headers[sim.id]).ok

    def _new_order(self, again: bool = True) -> None:
        """A shop sends an order every few seconds (fewer when many are still open)."""
        if again:
            self._at(self.rng.uniform(5, 9), self._new_order)
        admin = self._headers["admin"]
        busy = self._http.get("/api/v1/orders", admin, {"status": "offered", "limit": 100})
        if busy.ok and len(busy.body["items"]) >= MAX_OPEN_ORDERS:
            return
        _zone, box = self.rng.choice(self.city.zones)
        where = inside(box, self.rng, margin=0.05)
        self._http.post("/api/v1/orders", admin, self._order_body(where.lat, where.lon))

    def _order_outside_every_zone(self) -> None:
        """Once, a customer west of every district: the order waits for a manager."""
        where = outside_every_district()
        body = {**self._order_body(where.lat, where.lon), "address": "虹桥路2550号"}
        self._http.post("/api/v1/orders", self._headers["admin"], body)

    def _order_body(self, lat: float, lon: float) -> dict[str, Any]:
        return {
            "customer": {
                "name": self.rng.choice(SURNAMES) + self.rng.choice(["先生", "女士"]),
                "phone": f"+86139{self.rng.randrange(10_000_000, 99_999_999)}",
            },
            "address": f"{self.rng.choice(STREETS)}{self.rng.randrange(1, 999)}号",
            "location": {"lat": lat, "lon": lon},
            "product": self.rng.choice(PRODUCTS),
        }

    def _wander(self) -> None:
        """Installers drift around their homes, so the map moves."""
        self._at(15.0, self._wander)
        for sim in self.rng.sample(self.city.installers, k=8):
            where = {
                "lat": round(sim.home.lat + self.rng.uniform(-0.006, 0.006), 6),
                "lon": round(sim.home.lon + self.rng.uniform(-0.006, 0.006), 6),
            }
            self._http.post("/api/v1/me/location", self._headers[sim.id], where)


def _demo_photo() -> bytes:
    """A drawn "photo" of an installed unit, so completions carry a real JPEG."""
    image = Image.new("RGB", (800, 600), (214, 222, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 420, 800, 600], fill=(176, 150, 120))
    draw.rounded_rectangle(
        [170, 120, 630, 300], radius=24, fill=(250, 250, 250), outline=(90, 90, 90), width=4
    )
    draw.line([200, 260, 600, 260], fill=(150, 150, 150), width=3)
    draw.ellipse([560, 150, 590, 180], fill=(40, 170, 90))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()
