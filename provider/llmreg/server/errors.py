"""JSON errors of the registry API, and the handlers that turn every failure into one.

Every error body has one shape (``ErrorBody`` in the OpenAPI document)::

    {"error": {"code": "validation_failed", "message": "...", "what": "...",
               "fields": [{"path": "envs[0].apiKey", "message": "..."}]}}

``what`` and ``fields`` appear on 400 only. Messages come from llmreg's own errors (which name
records and fields, never values of secrets) or are fixed sentences here: a request's body or
headers are never echoed back. Text in an answer is made encodable (``safe_text``), so no
input can turn an error into a failure to send it.

Database failures never become a 500 with a traceback: a connection that the database refused
or dropped is 503 ``unavailable`` (with ``Retry-After``, which the HTTP client honours), and is
logged as one JSON line naming the error's type only (the database driver's message may quote
request values). Anything else unexpected is answered 500 by ``logging.ObservabilityMiddleware``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from ..domain import problems
from ..domain.text import safe_text
from ..errors import FieldProblem, LlmregError, StoreUnavailable, Unauthorized, ValidationFailed
from . import metrics

log = logging.getLogger("llmreg.server")


class FieldError(BaseModel):
    """One invalid field of a request: its path (``path.tag``, ``query.limit``,
    ``header.If-Match``, or a camelCase path in the body such as ``envs[0].slug``)."""

    path: str
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    what: str | None = None
    fields: list[FieldError] | None = None


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


class ApiError(Exception):
    """An error answer with a status, a stable code and a message (plus optional headers)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        fields: Sequence[FieldProblem] = (),
        what: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.fields = list(fields)
        self.what = what


def unauthorized(message: str) -> ApiError:
    return ApiError(
        401, "unauthorized", message, headers={"WWW-Authenticate": 'Bearer realm="llmreg"'}
    )


def unavailable(message: str) -> ApiError:
    return ApiError(503, "unavailable", message, headers={"Retry-After": "1"})


def error_response(err: ApiError) -> Response:
    body: dict[str, Any] = {"code": err.code, "message": safe_text(err.message)}
    if err.what is not None:
        body["what"] = safe_text(err.what)
    if err.status == 400:
        body["fields"] = [
            {"path": safe_text(p.path), "message": safe_text(p.message)} for p in err.fields
        ]
    content = json.dumps({"error": body}, ensure_ascii=False, separators=(",", ":"))
    return Response(
        content.encode("utf-8", "backslashreplace"),
        status_code=err.status,
        headers=err.headers,
        media_type="application/json",
    )


def _request_id(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


def from_llmreg(exc: LlmregError, request_id: str | None = None) -> ApiError:
    """The API error for one of llmreg's errors (status and code: ``llmreg.errors``; the
    store's messages name the record)."""
    if exc.status >= 500 and not isinstance(exc, StoreUnavailable):
        log.error(
            "unhandled error",
            extra={"fields": {"requestId": request_id, "error": type(exc).__name__}},
        )
        return ApiError(500, "internal", "the registry failed to handle the request: see its log")
    if isinstance(exc, ValidationFailed):
        return ApiError(exc.status, exc.code, str(exc), fields=exc.problems, what=exc.what)
    if isinstance(exc, Unauthorized):
        return unauthorized(str(exc))
    if isinstance(exc, StoreUnavailable):
        return unavailable(str(exc))
    return ApiError(exc.status, exc.code, str(exc))


def from_database(exc: sa.exc.SQLAlchemyError, request_id: str | None = None) -> ApiError:
    """The API error for a failure of the database (logged by type: its text may hold values).

    A value the database refused (which validation should have caught) is a 400; a concurrent
    write that won a unique key is a 409 to retry; everything else (refused or dropped
    connections, timeouts) is 503."""
    metrics.STORE_ERRORS.labels(type(exc).__name__).inc()
    log.warning(
        "store error", extra={"fields": {"requestId": request_id, "error": type(exc).__name__}}
    )
    if isinstance(exc, sa.exc.DataError):
        return ApiError(
            400,
            "validation_failed",
            "the database refused a value of the request",
            fields=[FieldProblem("", "a value is not storable: check lengths and characters")],
            what="request",
        )
    if isinstance(exc, sa.exc.IntegrityError):
        return ApiError(409, "conflict", "a concurrent write got there first: retry")
    return unavailable("the registry's database did not answer: retry shortly")


class _Errors:
    """Duck-types ``ValidationError.errors()`` for llmreg's field-problem translation."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return self._errors


def request_problems(errors: Sequence[Any]) -> list[FieldProblem]:
    """Field problems of a request's validation errors: body fields by their camelCase path,
    parameters as ``path.<name>``, ``query.<name>``, ``header.<name>``."""
    translatable: list[dict[str, Any]] = []
    out: list[FieldProblem] = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "json_invalid":
            out.append(FieldProblem("", "the request body is not valid JSON"))
        elif loc[:1] == ("body",):
            translatable.append({**err, "loc": loc[1:]})
        else:
            translatable.append(err)
    if translatable:
        out.extend(problems(cast(ValidationError, _Errors(translatable))))
    return out


def allowed_methods(request: Request) -> list[str]:
    """Every method of every route of the request's path (Starlette names one route's only)."""
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


def install(app: FastAPI) -> None:
    """Register the handlers that turn failures into the JSON error shape (no handler for
    ``Exception``: Starlette would re-raise it into uvicorn's traceback log;
    ``logging.ObservabilityMiddleware`` answers those)."""

    async def api_error(_: Request, exc: Exception) -> Response:
        return error_response(cast(ApiError, exc))

    async def llmreg_error(request: Request, exc: Exception) -> Response:
        return error_response(from_llmreg(cast(LlmregError, exc), _request_id(request)))

    async def database_error(request: Request, exc: Exception) -> Response:
        err = cast(sa.exc.SQLAlchemyError, exc)
        return error_response(from_database(err, _request_id(request)))

    async def validation_error(_: Request, exc: Exception) -> Response:
        found = request_problems(cast(RequestValidationError, exc).errors())
        lines = "\n".join(f"  - {p}" for p in found)
        return error_response(
            ApiError(
                400,
                "validation_failed",
                f"invalid request:\n{lines}",
                fields=found,
                what="request",
            )
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        http = cast(StarletteHTTPException, exc)
        codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
        message = {
            404: "no such endpoint: see /openapi.json",
            405: "method not allowed on this endpoint: see /openapi.json",
        }.get(http.status_code, str(http.detail))
        headers = dict(http.headers or {})
        if http.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        code = codes.get(http.status_code, "http_error")
        return error_response(ApiError(http.status_code, code, message, headers=headers))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(LlmregError, llmreg_error)
    app.add_exception_handler(sa.exc.SQLAlchemyError, database_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
