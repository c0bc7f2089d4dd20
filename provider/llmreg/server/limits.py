"""Request limits: the body size cap and an optional per-token rate limit."""

from __future__ import annotations

import math
import threading
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiError, error_response

DEFAULT_MAX_BODY = 1024 * 1024
"""Bytes; a record with a long system prompt and many tools stays far below it."""


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


class RateLimiter:
    """A token bucket per principal: ``per_minute`` requests, bursts up to ``burst``."""

    def __init__(self, per_minute: float, burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(1, math.ceil(per_minute / 6)))
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Take one request from ``key``'s bucket, or raise 429 with ``Retry-After``."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                wait = max(1, math.ceil((1 - tokens) / self.rate))
                raise ApiError(
                    429,
                    "rate_limited",
                    f"too many requests for this token: retry after {wait} s",
                    headers={"Retry-After": str(wait)},
                )
            self._buckets[key] = (tokens - 1, now)
