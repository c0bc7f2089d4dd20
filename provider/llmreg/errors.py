"""Errors raised by llmreg. Every message names the record or field and says what to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


class LlmregError(Exception):
    """Base class of every error llmreg raises on purpose.

    ``status`` and ``code`` are the error's HTTP status and stable code in the registry API:
    the server answers with them and the HTTP store raises the class that ``code`` names
    (:func:`error_for_code`), so the mapping is written once, here.
    """

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: a dotted path in the record's camelCase names, and a fix-it sentence."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ValidationFailed(LlmregError, ValueError):
    """Input that breaks a rule of the domain; carries one problem per bad field."""

    status = 400
    code = "validation_failed"

    def __init__(self, what: str, problems: list[FieldProblem]) -> None:
        self.what = what
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid {what}:\n{lines}")


class NotFound(LlmregError, LookupError):
    """The record does not exist."""

    status = 404
    code = "not_found"


class AlreadyExists(LlmregError):
    """A create found a record that is already there (and different)."""

    status = 409
    code = "already_exists"


class Conflict(LlmregError):
    """An optimistic-concurrency check failed: the record changed since it was read."""

    status = 409
    code = "conflict"


class StaleVersion(Conflict):
    """A write expected a version of the record that is no longer current (HTTP 412 on a stale
    ``If-Match``): someone changed or deleted the record since it was read."""

    status = 412
    code = "precondition_failed"


class IdempotencyKeyReused(Conflict):
    """A write reused an idempotency key that an earlier, different write used."""

    code = "idempotency_key_reused"


class Unauthorized(LlmregError):
    """The registry refused the request's credentials (missing or unknown token)."""

    status = 401
    code = "unauthorized"


class Forbidden(LlmregError):
    """The token is valid but may not do this (wrong product or read-only)."""

    status = 403
    code = "forbidden"


class StoreUnavailable(LlmregError):
    """The registry could not be reached within the retry budget."""

    status = 503
    code = "unavailable"


class SealingError(LlmregError):
    """A sealed API key could not be opened: wrong environment key, moved or tampered."""


_BY_CODE: dict[str, type[LlmregError]] = {
    cls.code: cls
    for cls in (
        ValidationFailed,
        NotFound,
        AlreadyExists,
        Conflict,
        StaleVersion,
        IdempotencyKeyReused,
        Unauthorized,
        Forbidden,
    )
}
_BY_STATUS: dict[int, type[LlmregError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: StaleVersion,
}


def error_for(status: int, code: str | None) -> type[LlmregError]:
    """The error class an API error answer stands for (by its code, else by its status)."""
    return _BY_CODE.get(code or "") or _BY_STATUS.get(status) or StoreUnavailable
