"""The words customers read, in zh-CN and en: short enough for one SMS where possible."""

from __future__ import annotations

from string import Template

CUSTOMER_INSTALLER_COMING = {
    "zh-CN": Template(
        "【安装服务】您的${product}由${installer_name}（${installer_phone}）上门安装。"
        "服务码：${code}，请在安装完成后告诉师傅。进度：${tracking_url}"
    ),
    "en": Template(
        "Your ${product} will be installed by ${installer_name} (${installer_phone}). "
        "Service code: ${code} - tell it to the installer when the work is done. "
        "Track: ${tracking_url}"
    ),
}

SUPPORTED_LOCALES = tuple(CUSTOMER_INSTALLER_COMING)


def render_installer_coming(locale: str, **values: str) -> str:
    """The customer's notice (S302): who is coming, their phone, the code and the link."""
    template = CUSTOMER_INSTALLER_COMING.get(locale, CUSTOMER_INSTALLER_COMING["zh-CN"])
    return template.substitute(values)
