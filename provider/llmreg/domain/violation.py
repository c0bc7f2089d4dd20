"""The error a validator raises for a rule that names its own field (no dependency, so every
module of the domain can raise it)."""

from __future__ import annotations

from pydantic_core import PydanticCustomError


class RuleViolation(PydanticCustomError):
    """Raised inside a validator: a rule that names its own field path (camelCase).
    ``llmreg.domain.rules.problems`` reports it with that path."""

    def __new__(cls, path: str, message: str) -> RuleViolation:
        return super().__new__(
            cls, "llmreg_rule", "{path}|{message}", {"path": path, "message": message}
        )
