"""JSON errors of the registry API, and the handlers that turn llmreg errors into them.

Every error body has one shape::

    {"error": {"code": "validation_failed", "message": "...", "what": "...",
               "fields": [{"path": "envs[0].apiKey", "message": "..."}]}}

``what`` and ``fields`` appear on 400 only. Messages come from llmreg's own errors (which name
records and fields, never values of secrets) or are fixed sentences here: a request's body or
headers are never echoed back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..domain import problems
from ..errors import FieldProblem, LlmregError, StoreUnavailable, Unauthorized, ValidationFailed

log = logging.getLogger("llmreg.server")


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


def error_response(err: ApiError) -> JSONResponse:
    body: dict[str, Any] = {"code": err.code, "message": err.message}
    if err.what is not None:
        body["what"] = err.what
    if err.status == 400:
        body["fields"] = [{"path": p.path, "message": p.message} for p in err.fields]
    return JSONResponse({"error": body}, status_code=err.status, headers=err.headers)


def from_llmreg(exc: LlmregError) -> ApiError:
    """The API error for one of llmreg's errors (status and code: ``llmreg.errors``; the
    store's messages name the record)."""
    if exc.status >= 500 and not isinstance(exc, StoreUnavailable):
        return ApiError(500, "internal", "the registry failed to handle the request: see its log")
    if isinstance(exc, ValidationFailed):
        return ApiError(exc.status, exc.code, str(exc), fields=exc.problems, what=exc.what)
    if isinstance(exc, Unauthorized):
        return unauthorized(str(exc))
    headers = {"Retry-After": "1"} if isinstance(exc, StoreUnavailable) else None
    return ApiError(exc.status, exc.code, str(exc), headers=headers)


class _Errors:
    """Duck-types ``ValidationError.errors()`` for llmreg's field-problem translation."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return self._errors


def _request_problems(exc: RequestValidationError) -> list[FieldProblem]:
    body_errors: list[dict[str, Any]] = []
    out: list[FieldProblem] = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "json_invalid":
            out.append(FieldProblem("", "the request body is not valid JSON"))
        elif loc[:1] == ("body",):
            body_errors.append({**err, "loc": loc[1:]})
        else:
            where = ".".join(str(p) for p in loc)
            out.append(FieldProblem(where, "is missing or not valid"))
    if body_errors:
        out.extend(problems(cast(ValidationError, _Errors(body_errors))))
    return out


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the JSON error shape."""

    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        return error_response(cast(ApiError, exc))

    async def llmreg_error(_: Request, exc: Exception) -> JSONResponse:
        return error_response(from_llmreg(cast(LlmregError, exc)))

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        found = _request_problems(cast(RequestValidationError, exc))
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

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        http = cast(StarletteHTTPException, exc)
        codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
        message = {
            404: "no such endpoint: see /openapi.json",
            405: "method not allowed on this endpoint: see /openapi.json",
        }.get(http.status_code, str(http.detail))
        return error_response(
            ApiError(
                http.status_code,
                codes.get(http.status_code, "http_error"),
                message,
                headers=dict(http.headers or {}),
            )
        )

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # The type only: an unexpected exception's message may quote request data.
        log.error("unhandled error", extra={"fields": {"error": type(exc).__name__}})
        return error_response(
            ApiError(500, "internal", "the registry failed to handle the request: see its log")
        )

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(Exception, unexpected)
    app.add_exception_handler(LlmregError, llmreg_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
