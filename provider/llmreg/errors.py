"""Errors raised by llmreg. Every message names the record or field and says what to do."""

from __future__ import annotations

from dataclasses import dataclass


class LlmregError(Exception):
    """Base class of every error llmreg raises on purpose."""


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: a dotted path in the record's camelCase names, and a fix-it sentence."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ValidationFailed(LlmregError, ValueError):
    """Input that breaks a rule of the domain; carries one problem per bad field."""

    def __init__(self, what: str, problems: list[FieldProblem]) -> None:
        self.what = what
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid {what}:\n{lines}")


class NotFound(LlmregError, LookupError):
    """The record does not exist."""


class AlreadyExists(LlmregError):
    """A create found a record that is already there (and different)."""


class Conflict(LlmregError):
    """An optimistic-concurrency check failed: the record changed since it was read."""


class Unauthorized(LlmregError):
    """The registry refused the request's credentials (missing or unknown token)."""


class Forbidden(LlmregError):
    """The token is valid but may not do this (wrong product or read-only)."""


class StoreUnavailable(LlmregError):
    """The registry could not be reached within the retry budget."""


class SealingError(LlmregError):
    """A sealed API key could not be opened: wrong environment key, moved or tampered."""
