"""Structured access log: one JSON line per request, never a header, a query or a body.

Fields: ``ts``, ``level``, ``event`` ("request"), ``requestId``, ``method``, ``path``,
``status``, ``durationMs``, ``principal`` (the token's name, or null). Paths hold only slugs and
token ids, never secrets; the query string is left out since it is the client's to fill.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._compat import UTC

ACCESS_LOGGER = "llmreg.access"
REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: its message as ``event`` plus its ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__  # the type only: messages may hold data
        return json.dumps(line, separators=(",", ":"))


def configure(level: str = "info") -> None:
    """Send llmreg's server loggers to stderr as JSON lines (once per process)."""
    for name in (ACCESS_LOGGER, "llmreg.server"):
        logger = logging.getLogger(name)
        if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonFormatter())
            logger.addHandler(handler)
        logger.setLevel(level.upper())
        logger.propagate = False


def principal_of(scope: Scope) -> str | None:
    state = scope.get("state")
    if isinstance(state, dict):
        name = state.get("principal_name")
        return name if isinstance(name, str) else None
    return None


class AccessLogMiddleware:
    """Assigns a request id (a safe incoming ``X-Request-ID`` or a new one), echoes it in the
    response and logs the request when its response starts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        incoming = ""
        for key, value in scope.get("headers", []):
            if key == b"x-request-id":
                incoming = value.decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.log.info(
                "request",
                extra={
                    "fields": {
                        "requestId": request_id,
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status,
                        "durationMs": round((time.perf_counter() - start) * 1000, 2),
                        "principal": principal_of(scope),
                    }
                },
            )
