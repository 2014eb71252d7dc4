"""An admin's words for a customer message are checked before they are stored: what would
fail at sending time, hours later, is refused at once, saying how to fix it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dispatchd.config import Settings
from dispatchd.notify.templates import (
    MAX_TEMPLATE,
    PLACEHOLDERS,
    SUPPORTED_LOCALES,
    TEMPLATES,
    default_text,
    render,
    template_errors,
)


@pytest.mark.parametrize("name", list(TEMPLATES))
@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_shipped_words_pass_their_own_rules(name: str, locale: str) -> None:
    assert template_errors(name, default_text(name, locale)) == []


def test_a_placeholder_the_message_is_not_given_is_named_with_those_it_may_use() -> None:
    [problem] = template_errors("on_the_way", "${installer_name} ${code}")
    assert "unknown placeholder(s) code" in problem
    assert "${tracking_url}" in problem


def test_the_service_code_message_must_keep_the_code() -> None:
    assert template_errors("installer_coming", "${installer_name}") == [
        "keep ${code} in this message"
    ]
    assert template_errors("installer_coming", "Code: ${code}") == []


def test_a_stray_dollar_too_long_a_text_and_control_characters_are_refused() -> None:
    assert "$$" in template_errors("on_the_way", "costs $ 5")[0]
    assert template_errors("on_the_way", "costs $$5") == []
    assert "at most" in template_errors("on_the_way", "x" * (MAX_TEMPLATE + 1))[0]
    assert "control" in template_errors("on_the_way", "a\u0007b")[0]
    assert template_errors("on_the_way", "line one\nline two") == []


def test_stored_words_are_used_and_old_messages_missing_a_value_fall_back() -> None:
    values = {name: name.upper() for name in PLACEHOLDERS["on_the_way"]}
    assert render("on_the_way", "en", values, "Hi ${installer_name}") == "Hi INSTALLER_NAME"
    older = {k: v for k, v in values.items() if k != "installer_phone"}
    assert "INSTALLER_NAME" in render("on_the_way", "en", {**older, "installer_phone": ""}, None)
    fallback = render("appointment_set", "en", {**older, "window": "W"}, "${installer_phone}")
    assert "W" in fallback


def test_office_mode_needs_the_office_number_and_a_valid_one() -> None:
    with pytest.raises(ValidationError, match="DISPATCHD_OFFICE_PHONE must be set"):
        Settings(customer_phone_mode="office")
    with pytest.raises(ValidationError, match="no valid phone number"):
        Settings(customer_phone_mode="office", office_phone="12")
    office = Settings(customer_phone_mode="office", office_phone="021 6123 4567")
    assert office.customer_facing_phone("+8613800138001") == "+862161234567"
    assert Settings().customer_facing_phone("+8613800138001") == "+8613800138001"
