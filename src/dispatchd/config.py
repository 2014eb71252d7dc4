"""One settings object, read from ``DISPATCHD_*`` environment variables.

Development defaults make ``dispatchd serve`` work on a fresh machine; outside development
the settings refuse to start with anything a deployment must choose for itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dispatchd.api.client_address import parse_trusted_proxies
from dispatchd.notify.outbound import host_rule
from dispatchd.store.database import sqlite_url

DEFAULT_PUSH_HOSTS = (
    "fcm.googleapis.com,updates.push.services.mozilla.com,*.push.apple.com,*.notify.windows.com"
)


class Settings(BaseSettings):
    """Deployment settings; each field maps to ``DISPATCHD_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="DISPATCHD_", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("./data")
    database_url: str | None = None
    public_url: str | None = None
    admin_password: str | None = None
    secret_key: str | None = None
    push_subject: str | None = None
    push_hosts: str = DEFAULT_PUSH_HOSTS
    sms_url: str | None = None
    locale: Literal["zh-CN", "en"] = "zh-CN"
    timezone: str = "Asia/Shanghai"
    phone_region: str = "CN"
    currency: str = "CNY"
    customer_phone_mode: Literal["installer", "office"] = "installer"
    office_phone: str | None = None
    map_tile_url: str | None = Field(default=None, pattern=r"^https?://[^\s]*\{z\}[^\s]*$")
    map_tile_attribution: str | None = Field(default=None, max_length=300)
    map_app: Literal["google", "amap", "baidu", "apple", "geo"] | None = None
    token_ttl_s: int = Field(default=30 * 24 * 3600, gt=0)
    max_json_bytes: int = Field(default=1024 * 1024, gt=0)
    max_json_depth: int = Field(default=32, gt=0, le=200)
    max_photo_bytes: int = Field(default=15 * 1024 * 1024, gt=0)
    login_attempts_per_minute: int = Field(default=10, gt=0)
    login_attempts_per_account_per_minute: int = Field(default=20, gt=0)
    tracking_requests_per_minute: int = Field(default=60, gt=0)
    tracking_requests_per_link_per_minute: int = Field(default=30, gt=0)
    customer_requests_per_minute: int = Field(default=10, gt=0)
    customer_requests_per_link_per_minute: int = Field(default=5, gt=0)
    rate_limit_window_s: int = Field(default=60, gt=0)
    trusted_proxies: str = ""
    engine_batch_size: int = Field(default=500, gt=0)
    engine_poll_s: float = Field(default=1.0, gt=0)
    outbox_lease_s: float = Field(default=60.0, gt=0)
    outbox_max_attempts: int = Field(default=8, gt=0)
    event_poll_s: float = Field(default=1.0, gt=0)
    database_pool_size: int = Field(default=8, gt=0)
    clock: Literal["auto", "system", "database"] = "auto"
    run_engine: bool = True
    #: Seconds between the position saver's batches; 0 saves only when told (tests) and at
    #: shutdown.
    position_save_s: float = Field(default=1.0, ge=0)
    host: str = "127.0.0.1"
    port: int = 8000

    @field_validator("timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"DISPATCHD_TIMEZONE {value!r} is no IANA time zone; use e.g. Asia/Shanghai"
            ) from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        parse_trusted_proxies(value)
        return value

    @field_validator("push_hosts")
    @classmethod
    def _push_host_names(cls, value: str) -> str:
        entries = [entry for entry in value.split(",") if entry.strip()]
        if not entries:
            raise ValueError(
                "DISPATCHD_PUSH_HOSTS lists no host; name the push services phones may use, "
                f"e.g. {DEFAULT_PUSH_HOSTS}"
            )
        for entry in entries:
            try:
                host_rule(entry)
            except ValueError as exc:
                raise ValueError(f"DISPATCHD_PUSH_HOSTS: {exc}") from None
        return value

    def push_host_rules(self) -> tuple[str, ...]:
        """The push services' host names phones may subscribe with (``*.`` for any under)."""
        return tuple(host_rule(entry) for entry in self.push_hosts.split(",") if entry.strip())

    def resolved_map_app(self) -> str:
        """The map app the installer's "Navigate" opens: the one set, else Amap where the
        deployment speaks Chinese (Google's maps do not work in mainland China), else Google."""
        if self.map_app is not None:
            return self.map_app
        return "amap" if self.locale == "zh-CN" else "google"

    @property
    def zone(self) -> ZoneInfo:
        """The deployment's time zone, in which customers read their times."""
        return ZoneInfo(self.timezone)

    @model_validator(mode="after")
    def _office_phone_for_office_mode(self) -> Settings:
        if self.customer_phone_mode == "office" and not (self.office_phone or "").strip():
            raise ValueError(
                "DISPATCHD_OFFICE_PHONE must be set when DISPATCHD_CUSTOMER_PHONE_MODE=office: "
                "it is the number customers are given to call, e.g. +862112345678"
            )
        if self.office_phone is not None and not _is_phone_number(
            self.office_phone, self.phone_region
        ):
            raise ValueError(
                f"DISPATCHD_OFFICE_PHONE {self.office_phone!r} is no valid phone number; write "
                "it like +862112345678"
            )
        return self

    def customer_facing_phone(self, installer_phone: str) -> str:
        """The number a customer is given to call about their job: the installer's, or the
        office's when the deployment keeps installers' numbers private."""
        if self.customer_phone_mode == "office" and self.office_phone:
            return _e164(self.office_phone, self.phone_region)
        return installer_phone

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production" and not self.public_url:
            raise ValueError(
                "DISPATCHD_PUBLIC_URL must be set in production: customers' tracking links "
                "are built from it"
            )
        if self.environment == "production" and self.database_url and not self.secret_key:
            raise ValueError(
                "DISPATCHD_SECRET_KEY must be set in production with a shared database: every "
                "process needs the same key to check service codes"
            )
        return self

    def uses_database_clock(self) -> bool:
        """Whether to tell time by the database server (by default: when it is PostgreSQL)."""
        if self.clock == "auto":
            return self.resolved_database_url().startswith(("postgresql", "postgres"))
        return self.clock == "database"

    def resolved_database_url(self) -> str:
        """The database to use: the configured URL, or SQLite inside the data directory."""
        return self.database_url or sqlite_url(self.data_dir.resolve())

    def resolved_push_subject(self) -> str:
        """The contact push services may use: the configured one, the public https URL, or
        a local mailto for development."""
        if self.push_subject:
            return self.push_subject
        url = self.resolved_public_url()
        return url if url.startswith("https://") else "mailto:dispatchd@localhost"

    def resolved_public_url(self) -> str:
        """The absolute base of links sent to customers (no trailing slash)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


def _is_phone_number(raw: str, region: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(raw, region))
    except phonenumbers.NumberParseException:
        return False


def _e164(raw: str, region: str) -> str:
    number = phonenumbers.parse(raw, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
