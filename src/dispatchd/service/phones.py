"""Phone numbers checked and written one way (E.164), so SMS reach the right phone."""

from __future__ import annotations

import phonenumbers

from dispatchd.domain.errors import FieldError, InvalidInput


def normalize_phone(raw: str, region: str, field: str = "phone") -> str:
    """The number in E.164 (``+8613800138000``), or an error naming the field and the fix."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(
            [
                FieldError(
                    field,
                    f"is not a phone number ({exc}); write it like +8613800138000",
                    "phone_invalid",
                )
            ]
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            [
                FieldError(
                    field,
                    f"{raw!r} is not a valid phone number for region {region}; include the "
                    "country code, like +8613800138000",
                    "phone_invalid",
                )
            ]
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
