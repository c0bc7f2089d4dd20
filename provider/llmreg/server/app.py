"""The registry's FastAPI application (``create_app``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ..settings import ADMIN_TOKEN, LOG_LEVEL, RATE_LIMIT, SERVER_DB_URL
from .auth import Authenticator
from .deps import Registry
from .errors import install as install_errors
from .limits import DEFAULT_MAX_BODY, BodyLimitMiddleware, RateLimiter
from .logging import AccessLogMiddleware, configure
from .routes import health, history, records, resolved, tokens


def create_app(
    db_url: str,
    *,
    admin_token: str | None = None,
    rate_limit_per_minute: float | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    log_level: str = "info",
) -> FastAPI:
    """The registry API over the SQL store at ``db_url`` (schema migrated on open).

    ``admin_token`` defaults to ``$LLMREG_ADMIN_TOKEN``; other tokens live in the database.
    ``rate_limit_per_minute`` (default ``$LLMREG_RATE_LIMIT``, off when unset) limits each token.
    """
    from ..store.sql import SqlStore

    configure(log_level)
    admin = admin_token or ADMIN_TOKEN.get()
    limit = rate_limit_per_minute if rate_limit_per_minute is not None else RATE_LIMIT.get()
    store = SqlStore(db_url)
    registry = Registry(
        store=store,
        auth=Authenticator(admin, store),
        limiter=RateLimiter(limit) if limit else None,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            store.close()

    app = FastAPI(
        title="llmreg registry",
        version="1",
        summary="LLM model configurations and agents, with API keys sealed to environments.",
        lifespan=lifespan,
    )
    app.state.registry = registry
    install_errors(app)
    for module in (health, records, resolved, history, tokens):
        app.include_router(module.router)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(AccessLogMiddleware)
    return app


def app_from_env() -> FastAPI:
    """uvicorn factory for ``serve(workers>1)``: settings come from the environment."""
    url = SERVER_DB_URL.get()
    if not url:
        raise RuntimeError(f"{SERVER_DB_URL.name} is not set: start the server with `llmreg serve`")
    return create_app(url, log_level=LOG_LEVEL.get())
