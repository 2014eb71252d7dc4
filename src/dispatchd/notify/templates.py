"""The words customers read, per message and locale: short enough for one SMS where possible.

Each stage of a job has its message: who is coming with the service code (on acceptance), who
is coming instead when the job changes hands (the code stays the one already sent), the
arrival window when it is agreed or moved. Values are filled in when the message is queued,
except the service code, which stays sealed until the moment of sending.
"""

from __future__ import annotations

from datetime import datetime
from string import Template
from zoneinfo import ZoneInfo

INSTALLER_COMING = "installer_coming"
INSTALLER_CHANGED = "installer_changed"
APPOINTMENT_SET = "appointment_set"
APPOINTMENT_MOVED = "appointment_moved"

TEMPLATES: dict[str, dict[str, Template]] = {
    INSTALLER_COMING: {
        "zh-CN": Template(
            "【安装服务】您的${product}由${installer_name}（${installer_phone}）上门安装。"
            "服务码：${code}，请在安装完成后告诉师傅。进度：${tracking_url}"
        ),
        "en": Template(
            "Your ${product} will be installed by ${installer_name} (${installer_phone}). "
            "Service code: ${code} - tell it to the installer when the work is done. "
            "Track: ${tracking_url}"
        ),
    },
    INSTALLER_CHANGED: {
        "zh-CN": Template(
            "【安装服务】您的${product}改由${installer_name}（${installer_phone}）上门安装，"
            "服务码不变。进度：${tracking_url}"
        ),
        "en": Template(
            "Your ${product} will now be installed by ${installer_name} (${installer_phone}). "
            "Your service code stays the same. Track: ${tracking_url}"
        ),
    },
    APPOINTMENT_SET: {
        "zh-CN": Template(
            "【安装服务】${installer_name}将于${window}上门安装您的${product}。进度：${tracking_url}"
        ),
        "en": Template(
            "${installer_name} will come to install your ${product} ${window}. "
            "Track: ${tracking_url}"
        ),
    },
    APPOINTMENT_MOVED: {
        "zh-CN": Template(
            "【安装服务】上门时间已改为${window}（${reason}）。进度：${tracking_url}"
        ),
        "en": Template(
            "Your installation visit moved to ${window} (${reason}). Track: ${tracking_url}"
        ),
    },
}
SUPPORTED_LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"


def render(template: str, locale: str, values: dict[str, str]) -> str:
    """The message's text in the locale (the default one when it has none)."""
    texts = TEMPLATES[template]
    return texts.get(locale, texts[DEFAULT_LOCALE]).substitute(values)


def render_installer_coming(locale: str, **values: str) -> str:
    """The customer's notice (S302): who is coming, their phone, the code and the link."""
    return render(INSTALLER_COMING, locale, values)


def format_window(start: datetime, end: datetime, zone: ZoneInfo, locale: str) -> str:
    """An arrival window as the customer reads it, in the deployment's time zone."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    same_day = local_start.date() == local_end.date()
    if locale == "en":
        day = f"{local_start.day} {local_start:%b}"
        if same_day:
            return f"on {day}, {local_start:%H:%M}–{local_end:%H:%M}"
        return f"from {day} {local_start:%H:%M} to {local_end.day} {local_end:%b} {local_end:%H:%M}"
    day = f"{local_start.month}月{local_start.day}日"
    if same_day:
        return f"{day} {local_start:%H:%M}–{local_end:%H:%M}"
    return f"{day} {local_start:%H:%M}–{local_end.month}月{local_end.day}日 {local_end:%H:%M}"
