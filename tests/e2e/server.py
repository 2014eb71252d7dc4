"""A ``dispatchd serve`` process for end-to-end tests: started, killed and restarted at will."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ADMIN_PASSWORD
from tests.live import free_port


class ServerProcess:
    """One server process on a data directory that outlives it."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "server.log"

    def start(self, **env: str) -> ServerProcess:
        """Start the process and wait until it answers ``/healthz``."""
        environment = {
            **os.environ,
            "DISPATCHD_DATA_DIR": str(self.data_dir),
            "DISPATCHD_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "DISPATCHD_ENVIRONMENT": "test",
            "DISPATCHD_ENGINE_POLL_S": "0.2",
            **self.extra_env,
            **env,
        }
        if "DISPATCHD_CRASH_AT" not in env:
            environment.pop("DISPATCHD_CRASH_AT", None)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "dispatchd", "serve", "--port", str(self.port)],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base_url, timeout=1.0) as http:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited early:\n{self.log.read_text()[-3000:]}")
                try:
                    if http.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        raise TimeoutError(f"server not ready:\n{self.log.read_text()[-3000:]}")

    def wait_exit(self, timeout: float = 30.0) -> int:
        """Wait for the process to end by itself; returns its exit status."""
        assert self.process is not None
        return self.process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, like a power cut to the process."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """A graceful stop (SIGTERM)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


class Api:
    """A tiny HTTP client for the tests' scenarios."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10.0)
        self.headers: dict[str, str] = {}

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def login(self, username: str, password: str) -> dict[str, str]:
        """Bearer headers for the user."""
        response = self.http.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def call(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        """Send a request, fail on an error status, return the JSON body (or None)."""
        response = self.http.request(method, path, json=body, headers=headers)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None


def wait_for(predicate: Any, timeout: float = 15.0) -> Any:
    """Poll ``predicate`` until it returns something true (returned), or time out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError("condition not met in time")
