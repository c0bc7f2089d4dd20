"""Request limits: the body size cap and the rate limit shared by every server of a database.

The rate limit (``$LLMREG_RATE_LIMIT`` requests per minute, off when unset) counts requests in
fixed 10-second windows: each key may make ``ceil(limit / 6)`` requests per window (so the
sustained rate is the limit per minute, and a burst is a sixth of it). A key is the token of an
authenticated request (``token:<id>``) or, for a request without a valid token, the client's
address (``addr:<ip>``): a token cannot be guessed faster than the limit either. The counters
are rows of the registry database (``SqlStore.count_request``, one atomic upsert per request),
so every worker process and every server on the database shares them; a key over its limit is
then refused by that process without a query until its window ends. ``/healthz``, ``/readyz``
and ``/metrics`` are never limited (probes and scrapers).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import metrics
from .errors import ApiError, error_response, from_database

DEFAULT_MAX_BODY = 1024 * 1024
"""Bytes; a record with a long system prompt and many tools stays far below it."""
WINDOW_SECONDS = 10
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class BodyLimitMiddleware:
    """Answers 413 to a request whose body exceeds ``max_bytes`` (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = ApiError(413, "too_large", f"the request body exceeds {self.max_bytes} bytes")
        for key, value in scope.get("headers", []):
            if key == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await error_response(too_large)(scope, receive, send)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # FastAPI passes HTTPException through its body parsing untouched.
                    raise HTTPException(413, too_large.message)
            return message

        await self.app(scope, limited, send)


class RequestCounter(Protocol):
    """Where the counters live (``llmreg.store.sql.SqlStore``)."""

    def count_request(self, key: str, window_start: int) -> int: ...

    def forget_requests(self, before: int) -> int: ...


class RateLimiter:
    """Fixed-window request counting per key in the registry database (see the module)."""

    def __init__(
        self,
        per_minute: float,
        counter: RequestCounter,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.per_window = max(1, math.ceil(per_minute * WINDOW_SECONDS / 60))
        self.counter = counter
        self.clock = clock
        self._lock = threading.Lock()
        self._window = -1
        self._over: set[str] = set()  # keys over their limit in self._window

    def check(self, key: str, scope: str) -> None:
        """Count one request of ``key``; raise 429 (with ``Retry-After``) when it is over the
        limit. ``scope`` (``token`` or ``address``) labels the refusal. Blocking: run it in a
        worker thread."""
        now = self.clock()
        window = int(now // WINDOW_SECONDS)
        with self._lock:
            new_window = window != self._window
            if new_window:
                self._window, self._over = window, set()
            over = key in self._over
        if new_window:
            self.counter.forget_requests((window - 1) * WINDOW_SECONDS)
        if not over:
            over = self.counter.count_request(key, window * WINDOW_SECONDS) > self.per_window
            if over:
                with self._lock:
                    if self._window == window:
                        self._over.add(key)
        if over:
            metrics.RATE_LIMITED.labels(scope).inc()
            wait = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
            who = "this token" if scope == "token" else "this address"
            raise ApiError(
                429,
                "rate_limited",
                f"too many requests from {who}: retry after {wait} s",
                headers={"Retry-After": str(wait)},
            )

    async def check_async(self, key: str, scope: str) -> None:
        await run_in_threadpool(self.check, key, scope)


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class AddressLimitMiddleware:
    """Applies the rate limit per client address to requests that carry no credentials at all
    (requests with a token, valid or not, are counted by the ``principal`` dependency)."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter | None) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.limiter is None
            or scope["type"] != "http"
            or scope.get("path") in UNLIMITED_PATHS
            or any(key == b"authorization" for key, _ in scope.get("headers", []))
        ):
            await self.app(scope, receive, send)
            return
        try:
            await self.limiter.check_async(f"addr:{client_address(scope)}", "address")
        except ApiError as refused:
            await error_response(refused)(scope, receive, send)
            return
        except sa.exc.SQLAlchemyError as exc:
            request_id = scope.get("state", {}).get("request_id")
            await error_response(from_database(exc, request_id))(scope, receive, send)
            return
        await self.app(scope, receive, send)
