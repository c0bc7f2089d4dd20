"""Property values of the plugin protocol to and from the plain maps the resource cores take.

A computed value (not known during a preview) becomes :data:`llmreg.deploy.props.UNKNOWN`;
secrets are unwrapped on the way in and marked again on the way out: every property the core
declares secret, and every property that was secret in the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.provider.experimental.property_value import Computed, PropertyValue

from ..deploy.props import UNKNOWN, Props

PropertyMap = dict[str, PropertyValue]


def plain(value: PropertyValue) -> Any:
    """A property value as plain data (secrets unwrapped, computed values as UNKNOWN)."""
    inner = value.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, Mapping):
        return {k: plain(v) for k, v in inner.items()}
    if isinstance(inner, tuple | list):
        return [plain(v) for v in inner]
    return inner


def plain_map(values: Mapping[str, PropertyValue]) -> Props:
    return {k: plain(v) for k, v in values.items()}


def secret_keys(values: Mapping[str, PropertyValue]) -> set[str]:
    """The top-level properties that hold a secret anywhere inside."""
    return {k for k, v in values.items() if _holds_secret(v)}


def _holds_secret(value: PropertyValue) -> bool:
    if value.is_secret:
        return True
    inner = value.value
    if isinstance(inner, Mapping):
        return any(_holds_secret(v) for v in inner.values())
    if isinstance(inner, tuple | list):
        return any(_holds_secret(v) for v in inner)
    return False


def wrap(value: Any) -> PropertyValue:
    """Plain data as a property value. UNKNOWN stays the string it is on the wire, where it
    means a computed value (the SDK's ``PropertyValue.computed()`` does not marshal)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return PropertyValue(value)
    if isinstance(value, int | float):
        return PropertyValue(float(value))
    if isinstance(value, Mapping):
        return PropertyValue({str(k): wrap(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return PropertyValue([wrap(v) for v in value])
    raise TypeError(f"cannot send a {type(value).__name__} to the engine")


def wrap_map(values: Mapping[str, Any], secrets: Iterable[str]) -> PropertyMap:
    """``values`` as a property map, the ``secrets`` among them marked secret."""
    secret = set(secrets)
    return {k: wrap(v).with_secret(k in secret) for k, v in values.items()}
