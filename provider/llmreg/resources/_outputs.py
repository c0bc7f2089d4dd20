"""snake_case Python names for output properties whose state name is camelCase.

State, records and previews use the camelCase names of the registry (``maxTokens``); Python
code reads outputs in snake_case like every Pulumi Python SDK (``model.max_tokens``). The SDK
stores each output under its state name in the instance ``__dict__``; this descriptor reads it
from there, typed.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast, overload

import pulumi

T = TypeVar("T")


class StateOutput(Generic[T]):
    """``max_tokens = StateOutput[int | None]("maxTokens")`` in a resource class."""

    def __init__(self, state_name: str) -> None:
        self.state_name = state_name

    @overload
    def __get__(self, obj: None, owner: type[Any] | None = None) -> StateOutput[T]: ...

    @overload
    def __get__(self, obj: object, owner: type[Any] | None = None) -> pulumi.Output[T]: ...

    def __get__(
        self, obj: object | None, owner: type[Any] | None = None
    ) -> StateOutput[T] | pulumi.Output[T]:
        if obj is None:
            return self
        try:
            return cast("pulumi.Output[T]", vars(obj)[self.state_name])
        except KeyError:
            raise AttributeError(self.state_name) from None
