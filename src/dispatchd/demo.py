"""``dispatchd serve --demo``: a small city that runs by itself, so the first minute shows it all.

The demo seeds zones, about thirty installers and two human logins through the service layer,
then plays the installers over the HTTP API like real phones would: some answer at once, some
only after the reminder or the penalty, some never (their offers are revoked and re-dispatched);
accepted jobs are started and completed with a photo and the customer's code — or, now and
then, without it, which flags them for a follow-up call. A short escalation ladder makes every
step visible within minutes. It runs on its own SQLite database under ``<data dir>/demo``,
which is wiped at each start, and customer SMS go to a file there, never to a gateway.
"""

from __future__ import annotations

import heapq
import io
import itertools
import json
import logging
import queue
import random
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import structlog
from PIL import Image, ImageDraw

from dispatchd.config import Settings
from dispatchd.domain.escalation import Ladder, Policy
from dispatchd.domain.geo import Point
from dispatchd.service.actors import SYSTEM
from dispatchd.service.commands import (
    CreateInstaller,
    CreateUser,
    CreateZone,
    ReportLocation,
    SetDuty,
    SetPolicy,
)
from dispatchd.service.dispatcher import Dispatcher

log = structlog.get_logger("dispatchd.demo")

ADMIN_PASSWORD = "demo-admin-pass"  # noqa: S105 - printed on start; the demo is public
MANAGER = ("manager", "demo-manager-pass")
HUMAN_INSTALLER = ("installer", "demo-installer-pass")
SIMULATED_PASSWORD = "simulated-installer-pass"  # noqa: S105 - demo only
LADDER = [
    {"after_s": 20, "action": "remind"},
    {"after_s": 15, "action": "penalize", "amount": 500},
    {"after_s": 20, "action": "revoke"},
]
# Districts of Shanghai as (name, west, south, east, north).
DISTRICTS = [
    ("静安 Jing'an", 121.40, 31.22, 121.47, 31.27),
    ("黄浦 Huangpu", 121.47, 31.19, 121.51, 31.245),
    ("徐汇 Xuhui", 121.40, 31.15, 121.47, 31.22),
    ("浦东 Pudong", 121.51, 31.17, 121.60, 31.26),
]
NAMES = [
    "王伟",
    "李娜",
    "张敏",
    "刘洋",
    "陈静",
    "杨磊",
    "赵军",
    "黄勇",
    "周杰",
    "吴霞",
    "徐涛",
    "孙丽",
    "胡斌",
    "朱红",
    "高峰",
    "林芳",
    "何平",
    "郭亮",
    "马超",
    "罗琳",
    "梁宇",
    "宋佳",
    "郑凯",
    "谢婷",
    "韩冰",
    "唐诗",
    "冯刚",
    "于洁",
    "董浩",
    "萧然",
]
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
# Dealt out in turn, so every district has phones of each kind.
TEMPERAMENTS = ["prompt", "late", "prompt", "silent", "prompt", "late", "silent"]
WITHOUT_CODE_EVERY = 3
MAX_OPEN_ORDERS = 30


@dataclass(frozen=True)
class SimulatedInstaller:
    """A seeded installer whose phone the demo plays, and how they behave."""

    id: str
    name: str
    username: str
    temperament: str
    home: Point


@dataclass
class DemoCity:
    """What the demo seeded: zones as boxes, the simulated installers, the human logins."""

    zones: list[tuple[str, tuple[float, float, float, float]]]
    installers: list[SimulatedInstaller]
    logins: dict[str, str] = field(default_factory=dict)


def demo_settings(settings: Settings) -> Settings:
    """A demo's settings: its own fresh SQLite database, and a file instead of an SMS gateway."""
    data_dir = settings.data_dir / "demo"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    return settings.model_copy(
        update={
            "data_dir": data_dir,
            "database_url": None,
            "sms_url": f"file://{data_dir / 'sms.jsonl'}",
            "admin_password": ADMIN_PASSWORD,
            "environment": "development",
            "engine_poll_s": 0.5,
        }
    )


def seed_city(dispatcher: Dispatcher, seed: int = 7) -> DemoCity:
    """Zones, installers on duty at their homes, a manager and a human installer login."""
    rng = random.Random(seed)  # noqa: S311 - a simulation, not a secret
    policy = Policy(escalation=Ladder.from_list(LADDER), max_auto_attempts=3)
    dispatcher.execute(SetPolicy(policy), SYSTEM)
    zones = []
    for name, west, south, east, north in DISTRICTS:
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        zone = dispatcher.execute(
            CreateZone(name, {"type": "Polygon", "coordinates": [ring]}), SYSTEM
        )
        zones.append((zone.id, (west, south, east, north)))
    dispatcher.execute(CreateUser(MANAGER[0], MANAGER[1], "manager"), SYSTEM)
    centre = zones[1]
    human = _installer(dispatcher, "演示师傅 (you)", HUMAN_INSTALLER, [centre[0]], centre[1], rng)
    installers = []
    for index, name in enumerate(NAMES):
        zone_id, box = zones[index % len(zones)]
        neighbours = [zone_id] if rng.random() < 0.7 else [zone_id, zones[(index + 1) % 4][0]]
        username = f"sim{index + 1:02d}"
        home = _installer(dispatcher, name, (username, SIMULATED_PASSWORD), neighbours, box, rng)
        temperament = TEMPERAMENTS[index % len(TEMPERAMENTS)]
        installers.append(SimulatedInstaller(home[0], name, username, temperament, home[1]))

    logins = {
        "admin": ADMIN_PASSWORD,
        MANAGER[0]: MANAGER[1],
        HUMAN_INSTALLER[0]: HUMAN_INSTALLER[1],
    }
    log.info("demo city seeded", installers=len(installers) + 1, zones=len(zones), human=human[0])
    return DemoCity(zones, installers, logins)


def _installer(
    dispatcher: Dispatcher,
    name: str,
    login: tuple[str, str],
    zone_ids: list[str],
    box: tuple[float, float, float, float],
    rng: random.Random,
) -> tuple[str, Point]:
    phone = f"+86138{rng.randrange(10_000_000, 99_999_999)}"
    capacity = rng.choice([2, 3, 3, 4])
    record = dispatcher.execute(
        CreateInstaller(name, phone, tuple(zone_ids), capacity, (), login[0], login[1]), SYSTEM
    )
    home = _inside(box, rng)
    dispatcher.execute(ReportLocation(record.id, home), SYSTEM)
    dispatcher.execute(SetDuty(record.id, True), SYSTEM)
    return record.id, home


def _inside(
    box: tuple[float, float, float, float], rng: random.Random, margin: float = 0.1
) -> Point:
    west, south, east, north = box
    dx, dy = (east - west) * margin, (north - south) * margin
    return Point(
        round(rng.uniform(south + dy, north - dy), 6), round(rng.uniform(west + dx, east - dx), 6)
    )


class Simulation(threading.Thread):
    """Plays the simulated installers' phones and a trickle of shop orders over HTTP."""

    def __init__(self, city: DemoCity, base_url: str, sms_file: Path, seed: int = 11) -> None:
        super().__init__(name="dispatchd-demo", daemon=True)
        self.city = city
        self.base_url = base_url
        self.sms_file = sms_file
        self.rng = random.Random(seed)  # noqa: S311 - a simulation, not a secret
        self.stop = threading.Event()
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._agenda: list[tuple[float, int, Callable[[], object]]] = []
        self._order = itertools.count()
        self._sims = {sim.id: sim for sim in city.installers}
        self._headers: dict[str, dict[str, str]] = {}
        self._http = httpx.Client(base_url=base_url, timeout=10)
        self._photo = _demo_photo()
        self._completions = 0
        logging.getLogger("httpx").setLevel(logging.WARNING)

    def run(self) -> None:
        """Wait for the server, log the phones in, then react to events and make orders."""
        if not self._wait_for_server():
            return
        admin = self._login("admin", ADMIN_PASSWORD)
        for sim in self.city.installers:
            self._headers[sim.id] = self._login(sim.username, SIMULATED_PASSWORD)
        self._headers["admin"] = admin
        threading.Thread(target=self._listen, args=(admin,), daemon=True).start()
        for delay in (1.0, 2.5, 4.0):
            self._at(delay, lambda: self._new_order(again=False))
        self._at(6.0, self._new_order)
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
                if self._http.get("/healthz").status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        return False

    def _login(self, username: str, password: str) -> dict[str, str]:
        response = self._http.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def _listen(self, headers: dict[str, str]) -> None:
        """Follow the event stream as the admin (one connection for all simulated phones)."""
        last: str | None = None
        timeout = httpx.Timeout(10.0, read=60.0)  # the stream pings every 15 s
        with httpx.Client(base_url=self.base_url, timeout=timeout) as client:
            while not self.stop.is_set():
                path = "/api/v1/events" + (f"?after={last}" if last else "")
                try:
                    with client.stream("GET", path, headers=headers) as stream:
                        name = ""
                        for line in stream.iter_lines():
                            if self.stop.is_set():
                                return
                            if line.startswith("id:"):
                                last = line[3:].strip()
                            elif line.startswith("event:"):
                                name = line[6:].strip()
                            elif line.startswith("data:") and name:
                                self.events.put((name, json.loads(line[5:])))
                except httpx.HTTPError:
                    time.sleep(1)

    def _at(self, delay_s: float, action: Callable[[], object]) -> None:
        heapq.heappush(self._agenda, (time.monotonic() + delay_s, next(self._order), action))

    def _run_due(self) -> None:
        while self._agenda and self._agenda[0][0] <= time.monotonic():
            _, _, action = heapq.heappop(self._agenda)
            try:
                action()
            except httpx.HTTPError as exc:
                log.warning("demo action failed", error=str(exc))

    def _react(self, name: str, data: dict[str, Any]) -> None:
        sim = self._sims.get(str(data.get("installer_id")))
        if sim is None:
            return
        if name == "offer.sent":
            self._answer_later(sim, str(data["offer_id"]))
        elif name == "offer.accepted":
            order_id = str(data["order_id"])
            self._at(self.rng.uniform(8, 15), lambda: self._start(sim, order_id))

    def _answer_later(self, sim: SimulatedInstaller, offer_id: str) -> None:
        """Prompt phones answer in seconds, late ones after the reminder or even the penalty."""
        if sim.temperament == "silent":
            return
        delay = self.rng.uniform(2, 8) if sim.temperament == "prompt" else self.rng.uniform(24, 45)
        answer = "decline" if self.rng.random() < 0.08 else "accept"
        path = f"/api/v1/offers/{offer_id}/{answer}"
        self._at(delay, lambda: self._post(sim, path))

    def _start(self, sim: SimulatedInstaller, order_id: str) -> None:
        if self._post(sim, f"/api/v1/orders/{order_id}/start"):
            self._at(self.rng.uniform(15, 35), lambda: self._complete(sim, order_id))

    def _complete(self, sim: SimulatedInstaller, order_id: str) -> None:
        """Complete with the customer's code from their SMS, or now and then without it."""
        self._completions += 1
        without_code = self._completions % WITHOUT_CODE_EVERY == 2
        code = None if without_code else self._code_for(order_id)
        response = self._http.post(
            f"/api/v1/orders/{order_id}/complete",
            headers=self._headers[sim.id],
            files={"photo": ("photo.jpg", self._photo, "image/jpeg")},
            data={"service_code": code} if code else {},
        )
        log.info("demo completion", installer=sim.name, order=order_id, status=response.status_code)

    def _code_for(self, order_id: str) -> str | None:
        if not self.sms_file.exists():
            return None
        for line in reversed(self.sms_file.read_text(encoding="utf-8").splitlines()):
            message = json.loads(line)
            if message.get("order_id") == order_id:
                found = re.search(r"(?:服务码：|Service code: )(\d+)", message.get("body", ""))
                return found.group(1) if found else None
        return None

    def _post(self, sim: SimulatedInstaller, path: str) -> bool:
        response = self._http.post(path, headers=self._headers[sim.id])
        return response.status_code < 300

    def _new_order(self, again: bool = True) -> None:
        """A shop sends an order every few seconds (fewer when many are still open)."""
        if again:
            self._at(self.rng.uniform(5, 9), self._new_order)
        admin = self._headers["admin"]
        busy = self._http.get(
            "/api/v1/orders", params={"status": "offered", "limit": 100}, headers=admin
        )
        if busy.status_code == 200 and len(busy.json()["items"]) >= MAX_OPEN_ORDERS:
            return
        _zone, box = self.rng.choice(self.city.zones)
        where = _inside(box, self.rng, margin=0.05)
        body = {
            "customer": {
                "name": self.rng.choice(SURNAMES) + self.rng.choice(["先生", "女士"]),
                "phone": f"+86139{self.rng.randrange(10_000_000, 99_999_999)}",
            },
            "address": f"{self.rng.choice(STREETS)}{self.rng.randrange(1, 999)}号",
            "location": {"lat": where.lat, "lon": where.lon},
            "product": self.rng.choice(PRODUCTS),
        }
        self._http.post("/api/v1/orders", json=body, headers=admin)

    def _wander(self) -> None:
        """Installers drift around their homes, so the map moves."""
        self._at(15.0, self._wander)
        for sim in self.rng.sample(self.city.installers, k=8):
            where = {
                "lat": round(sim.home.lat + self.rng.uniform(-0.006, 0.006), 6),
                "lon": round(sim.home.lon + self.rng.uniform(-0.006, 0.006), 6),
            }
            self._http.post("/api/v1/me/location", json=where, headers=self._headers[sim.id])


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


def banner(city: DemoCity, url: str) -> str:
    """What to open and how to log in, for the start-up banner."""
    logins = city.logins
    return (
        f"[bold]demo city[/]: {len(city.zones)} zones, {len(city.installers) + 1} installers, "
        "a new order every few seconds; ladder: remind 20 s → penalty 15 s → revoke 20 s\n"
        f"console: {url}/console/  — [bold]manager[/] / [bold]{logins['manager']}[/] "
        f"(or admin / {logins['admin']})\n"
        f"installer app: {url}/app/  — [bold]installer[/] / [bold]{logins['installer']}[/] "
        "(a phone nobody simulates: answer its offers yourself)"
    )
