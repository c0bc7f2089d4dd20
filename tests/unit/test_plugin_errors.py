"""The plugin's one-line error report (llmreg.plugin._errors.one_line); on the real engine in
tests/e2e/test_plugin.py."""

from __future__ import annotations

import pydantic
import pytest

from llmreg.errors import FieldProblem, LlmregError, ValidationFailed
from llmreg.plugin._errors import one_line


class _Shape(pydantic.BaseModel):
    temperature: float
    tag: str


def test_an_invalid_record_is_one_line_naming_each_field() -> None:
    error = ValidationFailed(
        "agent 'shop/support'",
        [FieldProblem("model", "no such model"), FieldProblem("envs[0].slug", "unknown env")],
    )
    assert "\n" in str(error)
    assert one_line(error) == (
        "invalid agent 'shop/support': model: no such model; envs[0].slug: unknown env"
    )


def test_a_pydantic_error_is_one_line_naming_each_field() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        _Shape.model_validate({"temperature": "hot"})
    line = one_line(caught.value)
    assert "\n" not in line and line.startswith("invalid _Shape: temperature: ")
    assert "tag: " in line


def test_other_errors_are_one_line_too() -> None:
    assert one_line(LlmregError("first line\n  second line")) == "first line second line"
    assert one_line(KeyError("x")) == "KeyError: 'x' (LLMREG_DEBUG=1 shows the traceback)"
