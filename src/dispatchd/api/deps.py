"""``Annotated`` dependency aliases, so a route's signature says what it needs and who may call."""

from __future__ import annotations

import contextlib
import hashlib
import json
from typing import Annotated

from fastapi import Depends, Request

from dispatchd.api.auth import current_actor, require
from dispatchd.api.problems import Problem
from dispatchd.config import Settings
from dispatchd.domain.errors import FieldError
from dispatchd.service.actors import Actor, Role
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.outcome import IdempotencyRequest

MAX_IDEMPOTENCY_KEY = 200


async def get_dispatcher(request: Request) -> Dispatcher:
    """The application's dispatcher."""
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


async def get_settings(request: Request) -> Settings:
    """The application's settings."""
    settings: Settings = request.app.state.dispatcher.settings
    return settings


async def idempotency_request(request: Request) -> IdempotencyRequest | None:
    """The ``Idempotency-Key`` with a fingerprint of the request it came with, if sent.

    JSON bodies are fingerprinted in canonical form, so a client that re-serialises the same
    body differently is still recognised as retrying.
    """
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY or not key.isascii() or not key.isprintable():
        raise Problem(
            422,
            f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters; "
            "a UUID is a good choice",
            "invalid-input",
            [
                FieldError(
                    "Idempotency-Key",
                    "is malformed",
                    "idempotency_key_malformed",
                    {"max_length": MAX_IDEMPOTENCY_KEY},
                )
            ],
        )
    digest = hashlib.sha256()
    for part in (
        request.method.encode(),
        request.url.path.encode(),
        await _canonical_body(request),
    ):
        digest.update(len(part).to_bytes(8, "big") + part)
    return IdempotencyRequest(key, digest.hexdigest())


async def _canonical_body(request: Request) -> bytes:
    """The body in a form that is the same for every retry of the same request.

    JSON is re-serialised with sorted keys; multipart forms (whose boundary changes on every
    send) become their fields in order, files by the SHA-256 of their content. Both see the
    body only after :class:`~dispatchd.api.limits.BodyGuard` bounded its size and nesting,
    and fields are fingerprinted as they came (a lone surrogate too) before their validation
    refuses them.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        parts = []
        for name, value in (await request.form()).multi_items():
            if isinstance(value, str):
                parts.append(f"{name}={value}")
            else:
                content = await value.read()
                await value.seek(0)
                parts.append(f"{name}=sha256:{hashlib.sha256(content).hexdigest()}")
        return "\n".join(parts).encode("utf-8", "surrogatepass")
    body = await request.body()
    if content_type.startswith("application/json") and body:
        with contextlib.suppress(ValueError):
            return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    return body


DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
ConsoleActor = Annotated[Actor, require(Role.ADMIN, Role.MANAGER)]
OrderWriter = Annotated[Actor, require(Role.ADMIN, Role.MANAGER, Role.INTEGRATION)]
OrderReader = Annotated[Actor, require(Role.ADMIN, Role.MANAGER, Role.INTEGRATION, Role.INSTALLER)]
AdminActor = Annotated[Actor, require(Role.ADMIN)]
InstallerActor = Annotated[Actor, require(Role.INSTALLER)]
Idempotency = Annotated[IdempotencyRequest | None, Depends(idempotency_request)]
