"""The words customers read, per message and locale: short enough for one SMS where possible.

Each stage of a job has its message: who is coming with the service code (on acceptance), who
is coming instead when the job changes hands (the code stays the one already sent), the
arrival window when it is agreed or moved, the installer on the way (with the tracking link)
and the job done (with the link to rate it). Values are filled in when the message is queued,
except the service code, which stays sealed until the moment of sending.

The words here are the defaults; an admin may store other words per (message, locale), which
are then used when the message is rendered. Edited words are checked first
(:func:`template_errors`): only the placeholders that message is given, the service code
required where the code is the point, bounded length, storable text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from string import Template
from typing import NamedTuple
from zoneinfo import ZoneInfo

INSTALLER_COMING = "installer_coming"
INSTALLER_CHANGED = "installer_changed"
APPOINTMENT_SET = "appointment_set"
APPOINTMENT_MOVED = "appointment_moved"
ON_THE_WAY = "on_the_way"
JOB_COMPLETED = "job_completed"

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
    ON_THE_WAY: {
        "zh-CN": Template(
            "【安装服务】${installer_name}已出发，正在前往为您安装${product}。"
            "电话：${installer_phone}。查看距离：${tracking_url}"
        ),
        "en": Template(
            "${installer_name} is on the way to install your ${product}. "
            "Phone: ${installer_phone}. See how far: ${tracking_url}"
        ),
    },
    JOB_COMPLETED: {
        "zh-CN": Template(
            "【安装服务】您的${product}已安装完成，感谢您的配合。请为本次服务评分：${rating_url}"
        ),
        "en": Template(
            "Your ${product} is installed. Thank you! Please rate the service: ${rating_url}"
        ),
    },
}
SUPPORTED_LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
MAX_TEMPLATE = 480

_WHO = ("product", "installer_name", "installer_phone", "tracking_url")
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    INSTALLER_COMING: (*_WHO, "code"),
    INSTALLER_CHANGED: _WHO,
    APPOINTMENT_SET: (*_WHO, "window"),
    APPOINTMENT_MOVED: (*_WHO, "window", "reason"),
    ON_THE_WAY: _WHO,
    JOB_COMPLETED: (*_WHO, "rating_url"),
}
REQUIRED_PLACEHOLDERS: dict[str, tuple[str, ...]] = {INSTALLER_COMING: ("code",)}


def default_text(template: str, locale: str) -> str:
    """The words the code ships for a message in a locale."""
    return TEMPLATES[template][locale].template


def render(template: str, locale: str, values: dict[str, str], override: str | None = None) -> str:
    """The message's text in the locale (the default one when it has none); ``override`` is
    an admin's stored words for it, used instead of the shipped ones."""
    if override is not None:
        try:
            return Template(override).substitute(values)
        except KeyError:
            pass  # queued before the edit without that value: the shipped words still fit
    texts = TEMPLATES[template]
    return texts.get(locale, texts[DEFAULT_LOCALE]).substitute(values)


class TemplateProblem(NamedTuple):
    """One fault of edited words: the kind (a code the admin's page translates), its numbers
    or names, and the fix in English for the API's message."""

    code: str
    message: str
    params: Mapping[str, str | int]


def template_errors(template: str, text: str) -> list[str]:
    """What is wrong with these words for this message, each said as the fix in English."""
    return [problem.message for problem in template_problems(template, text)]


def template_problems(template: str, text: str) -> list[TemplateProblem]:
    """What is wrong with these words for this message, each with its kind (none: fine).

    A placeholder the message is not given would fail at sending time, long after the admin
    saved it, so it is refused now; so is a message of more than ``MAX_TEMPLATE`` characters
    (several SMS parts) and one without the service code where the code is the point.
    """
    allowed = PLACEHOLDERS[template]
    problems = []
    if not text.strip():
        problems.append(
            TemplateProblem("template_empty", "write the message's words; it must not be empty", {})
        )
    if len(text) > MAX_TEMPLATE:
        problems.append(
            TemplateProblem(
                "string_too_long",
                f"shorten the message to at most {MAX_TEMPLATE} characters",
                {"max_length": MAX_TEMPLATE},
            )
        )
    if any(ch in text for ch in "\x00\r") or any(ord(ch) < 32 and ch != "\n" for ch in text):
        problems.append(
            TemplateProblem(
                "control_characters",
                "remove control characters; only line breaks are allowed",
                {},
            )
        )
    used: set[str] = set()
    for match in Template.pattern.finditer(text):
        name = match.group("named") or match.group("braced")
        if match.group("invalid") is not None:
            problems.append(
                TemplateProblem(
                    "dollar_sign",
                    "a $ must start a placeholder like ${product}; write $$ for a dollar sign",
                    {},
                )
            )
        elif name is not None:
            used.add(name)
    unknown = sorted(used - set(allowed))
    if unknown:
        usable = ", ".join(f"${{{name}}}" for name in allowed)
        problems.append(
            TemplateProblem(
                "unknown_placeholder",
                f"unknown placeholder(s) {', '.join(unknown)}; this message may use {usable}",
                {"placeholders": ", ".join(unknown), "allowed": usable},
            )
        )
    missing = [name for name in REQUIRED_PLACEHOLDERS.get(template, ()) if name not in used]
    if missing:
        kept = ", ".join(f"${{{name}}}" for name in missing)
        problems.append(
            TemplateProblem(
                "placeholder_required", f"keep {kept} in this message", {"placeholders": kept}
            )
        )
    return problems


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
