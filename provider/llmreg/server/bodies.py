"""Strict JSON request bodies: the routes of the API parse them here, before FastAPI does.

Python's ``json`` accepts ``NaN`` and ``Infinity`` and decodes ``"\\ud800"`` to a lone
surrogate; PostgreSQL refuses ``\\u0000``. A body with any of these (in a value or a key, at
any depth), deeper than the parser can follow, or not UTF-8, is a 400 naming the field, so it
never reaches the store. The parsed body is handed to FastAPI (``Request.json()``'s cache), so
it is parsed once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn

from fastapi import Request, Response
from fastapi.routing import APIRoute

from ..domain.text import find_problem
from ..errors import FieldProblem
from .errors import ApiError

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def _refuse(path: str, message: str) -> NoReturn:
    raise ApiError(
        400,
        "validation_failed",
        f"invalid request:\n  - {FieldProblem(path, message)}",
        fields=[FieldProblem(path, message)],
        what="request",
    )


def _no_constants(name: str) -> NoReturn:
    _refuse("", f"the request body holds {name}, which is not JSON: send a finite number")


def _number(text: str) -> float | int:
    """A JSON number with a fraction or exponent: an integral one (``1.0``, ``1e3``) is the
    integer JSON Schema says it is (``maxTokens: 1.0`` is valid), others stay floats."""
    value = float(text)
    if math.isfinite(value) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


def parse_body(body: bytes) -> Any:
    """The JSON value of a request body, or a 400 ``ApiError`` naming the first problem."""
    try:
        value = json.loads(body, parse_constant=_no_constants, parse_float=_number)
    except UnicodeDecodeError:
        _refuse("", "the request body is not UTF-8 text")
    except json.JSONDecodeError as exc:
        _refuse("", f"the request body is not valid JSON ({exc.msg} at character {exc.pos})")
    except RecursionError:
        _refuse("", "the request body nests too deeply")
    try:
        found = find_problem(value)
    except RecursionError:
        _refuse("", "the request body nests too deeply")
    if found is not None:
        _refuse(*found)
    return value


class StrictJsonRoute(APIRoute):
    """An ``APIRoute`` whose JSON request bodies go through :func:`parse_body` first."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            if request.method in _WITH_BODY:
                body = await request.body()
                if body:
                    request._json = parse_body(body)  # what Request.json() returns
            return await handler(request)

        return strict
