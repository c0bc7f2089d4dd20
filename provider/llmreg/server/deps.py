"""What routes share: the app's store, its authenticator and limiter, and header parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from .auth import Authenticator, Principal
from .errors import ApiError
from .limits import RateLimiter
from .store_types import RegistryStore


@dataclass
class Registry:
    """The per-app state routes reach through ``request.app.state.registry``."""

    store: RegistryStore
    auth: Authenticator
    limiter: RateLimiter | None


def registry(request: Request) -> Registry:
    reg: Registry = request.app.state.registry
    return reg


def principal(request: Request) -> Principal:
    """Authenticate the request (401), then apply the per-token rate limit (429)."""
    reg = registry(request)
    who = reg.auth.principal(request)
    request.state.principal_name = who.name
    if reg.limiter is not None:
        reg.limiter.check(who.token_id)
    return who


Caller = Annotated[Principal, Depends(principal)]
Reg = Annotated[Registry, Depends(registry)]

_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')


def if_match_version(value: str | None) -> int | str | None:
    """``If-Match``: None (absent), ``"*"``, or the version of an ETag ``"<n>"``."""
    if value is None:
        return None
    value = value.strip()
    if value == "*":
        return "*"
    match = _ETAG.match(value)
    if match is None:
        raise ApiError(
            400,
            "bad_precondition",
            'If-Match must be an ETag of this API ("<version>") or *',
        )
    return int(match.group(1))


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, lists and * allowed)."""
    if not if_none_match:
        return False
    candidates = [c.strip().removeprefix("W/") for c in if_none_match.split(",")]
    return "*" in candidates or etag in candidates
