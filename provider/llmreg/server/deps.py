"""What routes share: the app's store, its authenticator and limiter, parameters and headers.

Every path and query parameter is declared with the pattern or bounds that the store can hold
(a slug for products, tags and environments, as in ``llmreg.domain.common``), so a value that
no record can have is a 400 naming the parameter, never a database error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request
from fastapi.openapi.models import Example
from starlette.concurrency import run_in_threadpool

from ..domain.common import SLUG_PATTERN
from ..domain.rules import explain_pattern
from .auth import ACTOR_HEADER, Authenticator, Principal
from .cache import Lru
from .errors import ApiError
from .limits import RateLimiter, client_address
from .store_types import RegistryStore

ETAG_PATTERN = r'^(\*|(W/)?"[0-9]{1,18}")$'
explain_pattern(ETAG_PATTERN, 'is not an ETag of this API ("<version>") or *')
CREATE_ONLY_PATTERN = r"^\*$"
explain_pattern(CREATE_ONLY_PATTERN, "is not *: on writes If-None-Match may only be *")
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"
explain_pattern(
    IDEMPOTENCY_KEY_PATTERN, "is not an idempotency key: use 1-200 printable ASCII characters"
)
TOKEN_ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"  # noqa: S105 (a pattern, not a secret)
explain_pattern(TOKEN_ID_PATTERN, "is not a token id (`llmreg token list` shows them)")


@dataclass
class Registry:
    """The per-app state routes reach through ``request.app.state.registry``."""

    store: RegistryStore
    auth: Authenticator
    limiter: RateLimiter | None
    answers: Lru[bytes] = field(default_factory=lambda: Lru(4096))
    """Resolved-config answers by (product, agent, env, both records' version and write time)."""
    model_tags: Lru[str] = field(default_factory=lambda: Lru(4096))
    """(product, agent) -> the model tag of the agent's last resolved answer."""


async def registry(request: Request) -> Registry:
    """The app's registry (async: a sync dependency would cost a worker-thread hop)."""
    return _registry(request)


def _registry(request: Request) -> Registry:
    reg: Registry = request.app.state.registry
    return reg


async def verified(reg: Registry, secret: str) -> Principal:
    """The principal of a token's secret, or 401: no I/O for a token verified within the cache
    time, otherwise a lookup in a worker thread. (The console's session cookie reaches the same
    check: ``llmreg.server.console``.)"""
    who = reg.auth.known(secret)
    if who is None:
        who = await run_in_threadpool(reg.auth.verify, secret)
    return who


async def admitted(request: Request, reg: Registry, who: Principal) -> Principal:
    """Name the caller in the access log and apply its token's rate limit (429)."""
    request.state.principal_name = who.name
    if reg.limiter is not None:
        await reg.limiter.check_async(f"token:{who.token_id}", "token")
    return who


async def principal(request: Request) -> Principal:
    """Authenticate the request (401), then apply the rate limit (429): per token, or per
    client address when the token is not valid. A token verified within the cache time costs
    no I/O; otherwise the lookup runs in a worker thread. (The OpenAPI document declares the
    bearer scheme on every operation that depends on this: ``openapi.finish``.)"""
    reg = _registry(request)
    try:
        who = await verified(reg, reg.auth.secret(request.headers))
    except ApiError:
        if reg.limiter is not None and "authorization" in request.headers:
            await reg.limiter.check_async(f"addr:{client_address(request.scope)}", "address")
        raise
    return await admitted(request, reg, who)


Caller = Annotated[Principal, Depends(principal)]
Reg = Annotated[Registry, Depends(registry)]


def _example(value: str) -> dict[str, Example]:
    return {value: Example(summary=value, value=value)}


def slug_path(description: str, example: str) -> Any:
    """A path parameter that is a slug."""
    return Path(pattern=SLUG_PATTERN, description=description, openapi_examples=_example(example))


ProductPath = Annotated[str, slug_path("The product's tag.", "shop")]
EnvPath = Annotated[str, slug_path("An environment of the product.", "prd")]
TokenIdPath = Annotated[
    str,
    Path(
        pattern=TOKEN_ID_PATTERN,
        description="The token's id (the part after `llmreg_` of its secret).",
        openapi_examples=_example("0123456789abcdef"),
    ),
]
SlugQuery = Annotated[str | None, Query(pattern=SLUG_PATTERN)]
Limit = Annotated[int, Query(ge=0, le=1000, description="At most this many entries.")]

INM_LENGTH = 1000
IfNoneMatchRead = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=INM_LENGTH,
        description="ETags (or *): answer 304 without a body when one matches.",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=ETAG_PATTERN,
        description='Only if the record is at this version ("<version>"), or exists (*).',
    ),
]
IfNoneMatchWrite = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        pattern=CREATE_ONLY_PATTERN,
        description="`*`: create only (409 if a different record is there).",
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="A retry with the same key returns the first result and writes nothing.",
    ),
]
Actor = Annotated[
    str | None,
    Header(
        alias=ACTOR_HEADER,
        max_length=200,
        description="Who the audit history names (the admin token's; a product token's "
        "writes are recorded as `token:<name> (<actor>)`).",
    ),
]

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
