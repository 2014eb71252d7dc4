"""The customer's SMS says who is coming, their phone, the code and the link, in both languages."""

from __future__ import annotations

import pytest

from dispatchd.notify.templates import SUPPORTED_LOCALES, render_installer_coming

VALUES = {
    "product": "KFR-35",
    "installer_name": "Wang Wei",
    "installer_phone": "+8613800138000",
    "tracking_url": "https://dispatch.example/t/abc",
    "code": "864209",
}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_notice_carries_everything_the_customer_needs(locale: str) -> None:
    body = render_installer_coming(locale, **VALUES)
    for value in VALUES.values():
        assert value in body


def test_chinese_is_the_default_and_an_unknown_locale_falls_back_to_it() -> None:
    assert render_installer_coming("fr", **VALUES) == render_installer_coming("zh-CN", **VALUES)
    assert "服务码" in render_installer_coming("zh-CN", **VALUES)
    assert "Service code" in render_installer_coming("en", **VALUES)


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    with pytest.raises(KeyError):
        render_installer_coming("en", product="x")
