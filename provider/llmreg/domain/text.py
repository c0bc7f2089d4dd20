"""Text and numbers that every store and the registry API can hold.

PostgreSQL refuses a NUL character in text, UTF-8 has no lone surrogates (``"\\ud800"`` is valid
in a JSON string and a Python ``str``, but not encodable), and JSON has no NaN or Infinity. So
every string of a record, at any depth (keys of free-form objects too), must be free of NUL and
lone surrogates, and every number finite. :func:`find_problem` finds the first offender with its
path; ``Record`` (``common.py``) refuses records that have one, the registry server refuses
request bodies and parameters that have one (400 with the field path), and ``safe_text`` makes
any text printable in an answer or a log line.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel

from .violation import RuleViolation

NUL_MESSAGE = "contains a NUL character (\\u0000), which the registry cannot store: remove it"
SURROGATE_MESSAGE = (
    "contains a lone surrogate (\\ud800-\\udfff), which is not valid Unicode: send UTF-8 text"
)
NON_FINITE_MESSAGE = "is NaN or Infinity, which JSON cannot hold: send a finite number"


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored (a NUL or a lone surrogate), or None."""
    if "\x00" in value:
        return NUL_MESSAGE
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE_MESSAGE
    return None


def safe_text(value: str) -> str:
    """``value`` with NUL and lone surrogates written as escapes (``\\u0000``, ``\\udXXX``):
    printable, encodable as UTF-8 and storable."""
    if "\x00" in value:
        value = value.replace("\x00", "\\u0000")
    if value.isascii():
        return value
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def find_problem(value: Any, path: str = "") -> tuple[str, str] | None:
    """``(path, message)`` of the first NUL, lone surrogate or non-finite number in ``value``
    (a JSON-like tree: str, numbers, dicts, lists, tuples), or None. Pydantic models inside are
    skipped: a ``Record`` checks its own fields. Paths read ``envs[0].slug``; a bad dict key is
    reported at the key's own path (shown with :func:`safe_text`)."""
    if isinstance(value, str):
        problem = text_problem(value)
        return None if problem is None else (path, problem)
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, NON_FINITE_MESSAGE)
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                problem = text_problem(key)
                if problem is not None:
                    return _join(path, safe_text(key)), f"the name {problem}"
            found = find_problem(item, _join(path, str(key)))
            if found is not None:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = find_problem(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def check_model_text(model: BaseModel) -> None:
    """Raise a pydantic error naming the first field of ``model`` (its own fields; nested
    models check theirs) that holds a NUL, a lone surrogate or a non-finite number.

    The error is a :class:`RuleViolation`, so ``problems()`` reports it with the camelCase
    field path."""
    fields = type(model).model_fields
    values = model.__dict__
    for name, info in fields.items():
        value = values.get(name)
        if value is None or isinstance(value, (bool, int, BaseModel)):
            continue
        found = find_problem(value, info.alias or name)
        if found is not None:
            path, message = found
            raise RuleViolation(path, message)
