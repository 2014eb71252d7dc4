"""Checks a freshly started demo as a newcomer would: it answers, its login works, it moves.

Run by ``scripts/check-first-run`` with the system Python (standard library only): it waits
for the server to finish setting itself up, reads the manager login from what ``serve --demo``
printed, logs in, and then gives the city one minute to accept jobs and complete one with the
customer's service code (an unflagged completion).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

SETUP_TIMEOUT_S = 900
MOVING_TIMEOUT_S = 60
LOGIN = re.compile(r"\bmanager\W+/\W+(\S+)")


def main() -> int:
    """Exit 0 when the demo works from a fresh install, 1 with the reason otherwise."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--log", required=True, type=Path)
    args = parser.parse_args()
    try:
        password = wait_for_banner(args.url, args.log)
        print(f"server answers; printed manager login found ({len(password)} characters)")
        token = log_in(args.url, "manager", password)
        print("manager login works")
        watch_city(args.url, token)
    except CheckFailed as failure:
        print(f"FIRST RUN FAILED: {failure}", file=sys.stderr)
        print("---- last lines the server printed ----", file=sys.stderr)
        print("\n".join(read(args.log).splitlines()[-40:]), file=sys.stderr)
        return 1
    return 0


class CheckFailed(Exception):
    """What a newcomer would have run into."""


def read(log: Path) -> str:
    """What the server printed so far."""
    return log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""


def wait_for_banner(url: str, log: Path) -> str:
    """Wait for set-up and start; returns the manager password the banner printed."""
    deadline = time.monotonic() + SETUP_TIMEOUT_S
    while time.monotonic() < deadline:
        printed = read(log)
        if "Traceback (most recent call last)" in printed:
            raise CheckFailed("the server crashed while starting")
        found = LOGIN.search(printed)
        if found and answers(f"{url}/healthz"):
            return found.group(1)
        time.sleep(1)
    raise CheckFailed(f"no demo banner and no answer on {url} after {SETUP_TIMEOUT_S} s")


def answers(url: str) -> bool:
    """Whether the URL answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own server
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def call(url: str, token: str | None = None, body: Any = None) -> Any:
    """A JSON request; returns the decoded answer."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise CheckFailed(f"{url} answered {error.code}: {error.read()[:300]!r}") from error
    except (urllib.error.URLError, OSError) as error:
        raise CheckFailed(f"{url} did not answer: {error}") from error


def log_in(url: str, username: str, password: str) -> str:
    """The bearer token for the printed login."""
    answer = call(f"{url}/api/v1/auth/token", body={"username": username, "password": password})
    return str(answer["access_token"])


def watch_city(url: str, token: str) -> None:
    """Within a minute: offers accepted, and a completion that carried the service code."""
    deadline = time.monotonic() + MOVING_TIMEOUT_S
    started = time.monotonic()
    seen: dict[str, int] = {}
    while time.monotonic() < deadline:
        orders = call(f"{url}/api/v1/orders?limit=500", token)["items"]
        seen = {}
        for order in orders:
            seen[order["status"]] = seen.get(order["status"], 0) + 1
        coded = [o for o in orders if o["status"] == "completed" and not o["flags"]]
        if coded:
            elapsed = time.monotonic() - started
            print(f"the city moves: {seen} after {elapsed:.0f} s; a completion carried its code")
            return
        time.sleep(2)
    raise CheckFailed(
        f"after {MOVING_TIMEOUT_S} s no completion with its service code; orders by status: {seen}"
    )


if __name__ == "__main__":
    sys.exit(main())
