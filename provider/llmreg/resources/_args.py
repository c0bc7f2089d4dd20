"""The base of the generated ``*Args`` classes: a dict works wherever an Args class does, and
every Args class turns into the camelCase property map of the registry the same way."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import pulumi

T = TypeVar("T")


class InputArgs:
    """Base of each generated ``*Args`` dataclass."""

    _wire: ClassVar[dict[str, str]] = {}
    """Python name -> state name of every field."""
    _nested: ClassVar[dict[str, type[InputArgs]]] = {}
    """Python name -> Args class of every field that holds one."""

    def to_props(self, where: str = "") -> dict[str, Any]:
        """The camelCase property map, leaving out unset fields."""
        out: dict[str, Any] = {}
        for name, state in self._wire.items():
            value = getattr(self, name)
            if value is None:
                continue
            nested = self._nested.get(name)
            if nested is not None:
                value = coerce(value, nested, f"{where}.{name}" if where else name).to_props()
            elif isinstance(value, list | tuple):
                value = list(value)
            out[state] = value
        return out


def coerce(value: Any, cls: type[T], where: str) -> T:
    """``value`` as an instance of the Args class ``cls``: itself, or built from a dict (a
    misspelt key is a one-line error naming it and the valid ones)."""
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        unknown = [k for k in value if k not in names]
        if unknown:
            raise pulumi.RunError(
                f"{where}: {', '.join(map(repr, unknown))} is not a field of {cls.__name__} "
                f"(its fields: {', '.join(names)})"
            )
        return cls(**value)
    raise pulumi.RunError(
        f"{where}: expected a {cls.__name__} or a dict, not {type(value).__name__}"
    )


def coerce_all(values: Sequence[Any] | None, cls: type[T], where: str) -> list[T]:
    return [coerce(v, cls, f"{where}[{i}]") for i, v in enumerate(values or [])]
