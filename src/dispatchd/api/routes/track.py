"""The customer's tracking link: status and, once accepted, the installer — nothing else.

The link's token (192 random bits) is the only credential, so lookups are rate-limited per
client to make guessing pointless as well as hopeless.
"""

from __future__ import annotations

import html
from typing import Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import select

from dispatchd.api.deps import DispatcherDep
from dispatchd.api.problems import Problem
from dispatchd.api.responses import TrackedOrder, tracked_order_view
from dispatchd.domain.orders import OrderStatus
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.unit_of_work import UnitOfWork
from dispatchd.store import tables as t

api_router = APIRouter(tags=["customer"])
page_router = APIRouter(tags=["customer"])

SHOWS_INSTALLER = frozenset({OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED})
MAX_TOKEN = 64


def tracked(dispatcher: Dispatcher, token: str) -> TrackedOrder | None:
    """The customer's view of the order behind a tracking token, or None."""
    if not token or len(token) > MAX_TOKEN:
        return None
    with dispatcher.reading() as conn:
        order_id = conn.execute(
            select(t.orders.c.id).where(t.orders.c.tracking_token == token)
        ).scalar()
        if order_id is None:
            return None
        uow = UnitOfWork(conn)
        order = uow.orders.get(order_id, for_update=False)
        assert order is not None
        installer = (
            uow.installers.get(order.installer_id)
            if order.installer_id and order.status in SHOWS_INSTALLER
            else None
        )
    return tracked_order_view(order, installer)


def _limit(request: Request) -> None:
    client = request.client.host if request.client else "?"
    wait = request.app.state.tracking_limiter.hit(client)
    if wait:
        raise Problem(
            429,
            f"too many tracking requests; wait {int(wait)} seconds",
            "rate-limited",
            headers={"Retry-After": str(int(wait))},
        )


@api_router.get("/track/{token}", response_model=TrackedOrder)
def track_json(token: str, request: Request, dispatcher: DispatcherDep) -> JSONResponse:
    """The tracking page's data as JSON."""
    _limit(request)
    view = tracked(dispatcher, token)
    if view is None:
        raise Problem(404, "this tracking link is not valid; check the link in your SMS")
    return JSONResponse(view)


@page_router.get("/t/{token}", response_class=HTMLResponse, include_in_schema=False)
def track_page(
    token: str,
    request: Request,
    dispatcher: DispatcherDep,
    lang: Literal["zh", "en"] | None = Query(default=None),
    accept_language: str | None = Header(default=None),
) -> HTMLResponse:
    """A small mobile page for the customer, in Chinese or English."""
    _limit(request)
    language = lang or ("en" if (accept_language or "zh").lower().startswith("en") else "zh")
    view = tracked(dispatcher, token)
    words = WORDS[language]
    if view is None:
        return HTMLResponse(_page(words, f"<p>{words['invalid']}</p>", language), status_code=404)
    return HTMLResponse(_page(words, _body(view, words), language))


def _body(view: TrackedOrder, words: dict[str, str]) -> str:
    esc = html.escape
    steps = [
        (view["created_at"], words["created"]),
        (view["accepted_at"], words["accepted"]),
        (view["started_at"], words["started"]),
        (view["completed_at"], words["completed"]),
        (view["cancelled_at"], words["cancelled"]),
    ]
    timeline = "".join(
        f'<li><span>{esc(label)}</span><time datetime="{esc(at)}">'
        f"{esc(at[:16].replace('T', ' '))} UTC</time></li>"
        for at, label in steps
        if at
    )
    installer = ""
    if view["installer"]:
        name, phone = esc(view["installer"]["name"]), esc(view["installer"]["phone"])
        installer = (
            f'<section class="card"><h2>{words["installer"]}</h2><p class="name">{name}</p>'
            f'<p><a class="call" href="tel:{phone}">{words["call"]} {phone}</a></p></section>'
        )
    status = words.get("status_" + view["status"], view["status"])
    return (
        f'<section class="card"><h2>{esc(view["product"])}</h2>'
        f'<p class="status">{esc(status)}</p><ol class="timeline">{timeline}</ol></section>'
        f"{installer}"
    )


def _page(words: dict[str, str], body: str, language: str) -> str:
    return f"""<!doctype html>
<html lang="{"zh-CN" if language == "zh" else "en"}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="60"><meta name="robots" content="noindex">
<title>{words["title"]}</title>
<style>
body{{font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;
background:#f4f6f8;color:#1b1f23}}
header{{background:#0b5cad;color:#fff;padding:16px 20px;font-size:1.2rem;font-weight:600}}
main{{padding:16px;max-width:560px;margin:auto}}
.card{{background:#fff;border-radius:12px;padding:16px 20px;margin-bottom:16px;
box-shadow:0 1px 3px rgba(0,0,0,.12)}}
h2{{margin:0 0 8px;font-size:1.1rem}} .status{{font-size:1.4rem;font-weight:700;color:#0b5cad}}
.timeline{{list-style:none;padding:0;margin:0}}
.timeline li{{display:flex;justify-content:space-between;padding:6px 0;
border-top:1px solid #e6e9ec}}
.name{{font-size:1.2rem;font-weight:600}} .call{{display:inline-block;background:#1a7f37;color:#fff;
padding:10px 16px;border-radius:8px;text-decoration:none;font-weight:600}}
</style></head>
<body><header>{words["title"]}</header><main>{body}</main></body></html>"""


WORDS = {
    "zh": {
        "title": "安装进度",
        "invalid": "此链接无效，请检查短信中的链接。",
        "created": "已下单",
        "accepted": "师傅已接单",
        "started": "开始安装",
        "completed": "安装完成",
        "cancelled": "已取消",
        "installer": "安装师傅",
        "call": "拨打",
        "status_pending": "正在为您安排师傅",
        "status_offered": "正在为您安排师傅",
        "status_accepted": "师傅已接单",
        "status_in_progress": "正在安装",
        "status_completed": "安装完成",
        "status_cancelled": "已取消",
    },
    "en": {
        "title": "Installation status",
        "invalid": "This link is not valid; please check the link in your SMS.",
        "created": "Ordered",
        "accepted": "Installer assigned",
        "started": "Installation started",
        "completed": "Installation completed",
        "cancelled": "Cancelled",
        "installer": "Your installer",
        "call": "Call",
        "status_pending": "Finding an installer for you",
        "status_offered": "Finding an installer for you",
        "status_accepted": "An installer is assigned",
        "status_in_progress": "Installation in progress",
        "status_completed": "Installation completed",
        "status_cancelled": "Cancelled",
    },
}
