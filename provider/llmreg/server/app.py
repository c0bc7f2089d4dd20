"""The registry's FastAPI application (``create_app``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .. import settings
from .auth import Authenticator
from .deps import Registry
from .errors import install as install_errors
from .limits import DEFAULT_MAX_BODY, AddressLimitMiddleware, BodyLimitMiddleware, RateLimiter
from .logging import ObservabilityMiddleware, configure
from .openapi import install as install_openapi
from .routes import health, history, records, resolved, tokens

DESCRIPTION = """\
The registry never holds a plaintext API key: each is sealed to its product environment's
public key.

Every `/v1` request carries `Authorization: Bearer <token>`. Errors have one JSON shape
(`ErrorBody`); a 400 names each invalid field. Records have versions: `ETag` / `If-Match` /
`If-None-Match` give optimistic concurrency, `Idempotency-Key` makes retried writes safe.
"""


def create_app(
    db_url: str,
    *,
    admin_token: str | None = None,
    rate_limit_per_minute: float | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    log_level: str = "info",
    token_cache_seconds: float | None = None,
    console: bool | None = None,
) -> FastAPI:
    """The registry API over the SQL store at ``db_url`` (schema migrated on open).

    ``admin_token`` defaults to ``$LLMREG_ADMIN_TOKEN``; other tokens live in the database.
    ``rate_limit_per_minute`` (default ``$LLMREG_RATE_LIMIT``, off when unset) limits each token
    and each client address without a valid token, across every server of the database.
    ``token_cache_seconds`` (default ``$LLMREG_TOKEN_CACHE_SECONDS``): how long a verified
    token is trusted without asking the database again.
    ``console`` (default ``$LLMREG_CONSOLE``, on): serve the read-only web console at
    ``/console/`` (``llmreg.server.console``).
    """
    from ..store.sql import SqlStore

    configure(log_level)
    admin = admin_token or settings.ADMIN_TOKEN.get()
    limit = (
        rate_limit_per_minute if rate_limit_per_minute is not None else settings.RATE_LIMIT.get()
    )
    cache_seconds = (
        token_cache_seconds
        if token_cache_seconds is not None
        else settings.TOKEN_CACHE_SECONDS.get()
    )
    store = SqlStore(db_url)
    limiter = RateLimiter(limit, store) if limit else None
    registry = Registry(
        store=store,
        auth=Authenticator(admin, store, cache_seconds=cache_seconds),
        limiter=limiter,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await store.close_async_reads()
            store.close()

    app = FastAPI(
        title="llmreg registry",
        version="1",
        summary="LLM model configurations and agents, with API keys sealed to environments.",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.registry = registry
    install_errors(app)
    for module in (resolved, health, records, history, tokens):  # the hottest route first
        app.include_router(module.router)
    install_openapi(app)
    if settings.CONSOLE.get() if console is None else console:
        from . import console as web_console

        web_console.install(app, settings.CONSOLE_SECRET.get())
    # Outermost last: observation wraps everything, then the address limit, then the body cap,
    # then the resolved endpoint's fast path.
    app.add_middleware(resolved.FastPath)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    if limiter is not None:
        app.add_middleware(AddressLimitMiddleware, limiter=limiter)
    app.add_middleware(ObservabilityMiddleware)
    return app


def app_from_env() -> FastAPI:
    """uvicorn factory for ``serve(workers>1)``: settings come from the environment."""
    url = settings.SERVER_DB_URL.get()
    if not url:
        raise RuntimeError(
            f"{settings.SERVER_DB_URL.name} is not set: start the server with `llmreg serve`"
        )
    return create_app(url, log_level=settings.LOG_LEVEL.get())
