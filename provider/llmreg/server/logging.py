"""Logs and per-request observation: every line the server writes is one JSON object.

- The access log: one line per request (``event`` "request"), with ``ts``, ``level``,
  ``requestId``, ``method``, ``route`` (the route template), ``path`` (only when every
  parameter in it is a slug or an id), ``status``, ``durationMs``, ``principal`` (the token's
  name, or null). Never a header, a query string or a body.
- Errors: an unexpected exception is answered 500 and logged as one line (``event``
  "unhandled error") with the request id and the exception's *type* only: its message, its
  traceback and a database driver's ``[parameters: ...]`` may quote request values.
- uvicorn's own loggers (start-up, shutdown, its error logger) go through the same formatter
  (``uvicorn_log_config``), and so do Python warnings.
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
from . import metrics

ACCESS_LOGGER = "llmreg.access"
SERVER_LOGGER = "llmreg.server"
REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SAFE_PARAM = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: its message as ``event`` plus its ``fields``.

    An exception attached to the record contributes its type only (``error``): never its
    message or traceback, which may hold data."""

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
            line["error"] = record.exc_info[0].__name__
        return json.dumps(line, separators=(",", ":"), default=str)


def configure(level: str = "info") -> None:
    """Send llmreg's server loggers and Python warnings to stderr as JSON lines (once per
    process)."""
    logging.captureWarnings(True)
    for name in (ACCESS_LOGGER, SERVER_LOGGER, "py.warnings"):
        logger = logging.getLogger(name)
        if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonFormatter())
            logger.addHandler(handler)
        logger.setLevel(level.upper())
        logger.propagate = False


def uvicorn_log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's ``log_config``: its loggers write JSON lines through :class:`JsonFormatter`
    (uvicorn applies it in the supervisor and in every worker process)."""
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }


def _state(scope: Scope) -> dict[str, Any]:
    state = scope.setdefault("state", {})
    assert isinstance(state, dict)
    return state


def principal_of(scope: Scope) -> str | None:
    name = _state(scope).get("principal_name")
    return name if isinstance(name, str) else None


def loggable_path(scope: Scope) -> str | None:
    """The request's path when it is one of a route's, with every parameter a slug or an id
    (``[A-Za-z0-9._-]``, 64 at most): what a record's or token's name looks like. Anything else
    (no route, or a value the route refused) is request data and stays out of the log."""
    path = scope.get("path")
    params = scope.get("path_params")
    if scope.get("route") is None or not isinstance(path, str) or not isinstance(params, dict):
        return None
    if all(isinstance(v, str) and _SAFE_PARAM.match(v) for v in params.values()):
        return path
    return None


def route_of(scope: Scope) -> str:
    """The template of the route that handled the request (``unmatched`` if none did)."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else "unmatched"


_INTERNAL_ERROR = (
    b'{"error":{"code":"internal","message":"the registry failed to handle the request: '
    b'see its log"}}'
)


class ObservabilityMiddleware:
    """The outermost layer: assigns a request id (a safe incoming ``X-Request-ID`` or a new one)
    and echoes it, answers 500 for any exception that escaped (logged as one JSON line), counts
    the request in the metrics and writes its access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.access = logging.getLogger(ACCESS_LOGGER)
        self.errors = logging.getLogger(SERVER_LOGGER)

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
        _state(scope)["request_id"] = request_id
        id_header = (b"x-request-id", request_id.encode())
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), id_header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            self.errors.error(
                "unhandled error",
                extra={
                    "fields": {
                        "requestId": request_id,
                        "method": scope.get("method"),
                        "route": route_of(scope),
                        "error": type(exc).__name__,
                    }
                },
            )
            if status == 0:
                status = 500
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(_INTERNAL_ERROR)).encode()),
                    id_header,
                ]
                await send({"type": "http.response.start", "status": 500, "headers": headers})
                await send({"type": "http.response.body", "body": _INTERNAL_ERROR})
        finally:
            elapsed = time.perf_counter() - start
            method = str(scope.get("method"))
            route = route_of(scope)
            metrics.REQUESTS.labels(method, route, str(status)).inc()
            metrics.LATENCY.labels(method, route).observe(elapsed)
            fields: dict[str, Any] = {"requestId": request_id, "method": method, "route": route}
            path = loggable_path(scope)
            if path is not None:
                fields["path"] = path
            fields["status"] = status
            fields["durationMs"] = round(elapsed * 1000, 2)
            fields["principal"] = principal_of(scope)
            self.access.info("request", extra={"fields": fields})
