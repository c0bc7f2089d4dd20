"""Property bags: the plain maps of camelCase names the engine sends and receives.

A value the engine does not know yet (a preview of an output still to be computed) is the
string :data:`UNKNOWN` here, whatever the front door (the dynamic provider sends it as is; the
native plugin turns its computed values into it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Props = dict[str, Any]

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""How the engine passes a value not known yet during a preview (``pulumi.runtime.rpc.UNKNOWN``)."""


def is_unknown(value: object) -> bool:
    """True if ``value`` is, or contains, a value the engine does not know yet."""
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, Mapping):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(is_unknown(v) for v in value)
    return False


def unknown_paths(value: object, prefix: str = "") -> list[str]:
    """camelCase paths (``envs[0].baseUrl``) of every unknown value inside ``value``."""
    if isinstance(value, str) and value == UNKNOWN:
        return [prefix]
    out: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            out += unknown_paths(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            out += unknown_paths(v, f"{prefix}[{i}]")
    return out


def under(path: str, prefixes: Iterable[str]) -> bool:
    """True if ``path`` is one of ``prefixes``, inside one, or holds one."""
    return any(
        path == p or path.startswith((p + ".", p + "[")) or p.startswith((path + ".", path + "["))
        for p in prefixes
    )


def under_any(paths: Iterable[str], prefixes: Iterable[str]) -> bool:
    """True if one of ``paths`` is under one of ``prefixes``."""
    wanted = list(prefixes)
    return any(under(path, wanted) for path in paths)


def normalized(value: Any) -> Any:
    """A copy without None values in mappings (the registry leaves unset fields out), with
    integral floats as ints (the engine sends every number as a float, and strict integer
    fields such as maxTokens must validate; 1 == 1.0 for every float field)."""
    kind = type(value)  # exact types first: the engine's values are plain dicts and lists
    if kind is str or kind is bool or kind is int or value is None:
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if kind is dict or isinstance(value, Mapping):
        return {k: normalized(v) for k, v in value.items() if v is not None}
    if kind is list or isinstance(value, tuple | list):
        return [normalized(v) for v in value]
    return value


def pick(props: Mapping[str, Any], names: Iterable[str]) -> Props:
    """The entries of ``props`` named in ``names`` (those it has)."""
    return {k: props[k] for k in names if k in props}


def changed(olds: Mapping[str, Any], news: Mapping[str, Any], names: Iterable[str]) -> list[str]:
    """The names whose values differ in two :func:`normalized` maps; unknown new values count
    as changed."""
    return [k for k in names if olds.get(k) != news.get(k) or is_unknown(news.get(k))]
