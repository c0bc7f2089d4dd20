"""The output properties of llmreg's resources, declared once per resource class.

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
    """``max_tokens = StateOutput[int | None]("maxTokens")`` in a resource class; a secret
    output says ``secret=True`` (the engine then keeps it encrypted in the state)."""

    def __init__(self, state_name: str, *, secret: bool = False) -> None:
        self.state_name = state_name
        self.secret = secret

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


def declared_outputs(cls: type[Any]) -> dict[str, bool]:
    """State name -> whether it is secret, for every :class:`StateOutput` a resource class
    declares. (Outputs are descriptors, not ``pulumi.Output`` annotations: the SDK evaluates a
    resource class's annotations again for every resource it registers.)"""
    return {
        value.state_name: value.secret
        for klass in reversed(cls.__mro__)
        for value in vars(klass).values()
        if isinstance(value, StateOutput)
    }
