"""Cross-field rules and the translation of pydantic errors into field problems."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import FieldProblem, ValidationFailed
from .common import SLUG_PATTERN
from .violation import RuleViolation as RuleViolation

M = TypeVar("M", bound=BaseModel)

_PATTERN_MESSAGES: dict[str, str] = {
    SLUG_PATTERN: "is not a valid slug: use 1-63 lowercase letters, digits, '-', '_' or '.', "
    "starting with a letter or digit",
}


def explain_pattern(pattern: str, message: str) -> None:
    """Say what a value matching ``pattern`` must look like (``{input!r} <message>``)."""
    _PATTERN_MESSAGES[pattern] = message


def require_unique(values: Iterable[str], path: str, what: str) -> None:
    dupes = sorted(v for v, n in Counter(values).items() if n > 1)
    if dupes:
        raise RuleViolation(path, f"each {what} may appear once; repeated: {', '.join(dupes)}")


def env_problems(slugs: Sequence[str], declared: Sequence[str], product: str) -> list[FieldProblem]:
    """One problem (``envs[i].slug``) per slug of a model or agent that is not an env of its
    product: the rule the resources check at preview and the store at every write."""
    return [
        FieldProblem(
            f"envs[{i}].slug",
            f"'{slug}' is not an environment of product '{product}' "
            f"(it has: {', '.join(declared)}): remove '{slug}' from these envs, or keep it in "
            "the product",
        )
        for i, slug in enumerate(slugs)
        if slug not in declared
    ]


def check_envs(slugs: Sequence[str], declared: Sequence[str], product: str) -> None:
    """Inside a validator: :func:`env_problems`' first problem, raised."""
    found = env_problems(slugs, declared, product)
    if found:
        raise RuleViolation(found[0].path, found[0].message)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("function-") or part.endswith("]"):
            continue  # pydantic's internal loc steps for generics/validators
        else:
            out += ("." if out else "") + part
    return out


def _message(err: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        hint = _PATTERN_MESSAGES.get(str(ctx.get("pattern")), "has the wrong format")
        return f"{err['input']!r} {hint}"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field (check its spelling)"
    if kind in ("enum", "literal_error"):
        return f"{err['input']!r} is not one of: {ctx.get('expected')}"
    if kind == "too_short" and isinstance(err.get("input"), list):
        return "needs at least one entry"
    bounds = {
        "less_than_equal": "<=",
        "less_than": "<",
        "greater_than_equal": ">=",
        "greater_than": ">",
    }
    if kind in bounds:
        limit = next(iter(ctx.values()))
        return f"{err['input']!r} is out of range: it must be {bounds[kind]} {limit}"
    return str(err["msg"]).removeprefix("Value error, ")


def problems(error: ValidationError) -> list[FieldProblem]:
    """One FieldProblem per pydantic error, with camelCase paths and actionable sentences."""
    out: list[FieldProblem] = []
    for err in error.errors():
        if err["type"] == "llmreg_rule":
            ctx = err.get("ctx") or {}
            prefix = _path(err["loc"])
            path = ".".join(p for p in (prefix, str(ctx["path"])) if p)
            out.append(FieldProblem(path, str(ctx["message"])))
        else:
            out.append(FieldProblem(_path(err["loc"]), _message(err)))
    return out


def parse(model: type[M], data: object, what: str) -> M:
    """Validate ``data`` as ``model``; raise ValidationFailed naming every bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ValidationFailed(what, problems(e)) from None
