"""The output properties of llmreg's resources, declared once per resource class.

State, records and previews use the camelCase names of the registry (``maxTokens``); Python
code reads outputs in snake_case like every Pulumi Python SDK (``model.max_tokens``). The SDK
stores each output under its state name in the instance ``__dict__``; this descriptor reads it
from there, typed. A resource's registration (:func:`registration`) declares them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar, cast, overload

import pulumi
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider
from typing_extensions import Self

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


@dataclass(frozen=True)
class Registration:
    """What a resource's generated ``__init__`` hands to ``pulumi.CustomResource.__init__``,
    and what to record of the registered resource afterwards."""

    type: str
    props: dict[str, Any]
    opts: pulumi.ResourceOptions
    remember: Callable[[Any], None] = lambda _resource: None


_pickled: dict[type[pulumi.dynamic.ResourceProvider], str] = {}


def _pickled_provider(provider_type: type[pulumi.dynamic.ResourceProvider]) -> str:
    """The ``__provider`` property: the SDK's own pickle of the provider, made once per type
    (llmreg's providers hold no state, so every resource of a type has the same one)."""
    found = _pickled.get(provider_type)
    if found is None:
        found = _pickled[provider_type] = serialize_provider(provider_type())
    return found


def type_token(cls: type[RegistryResource]) -> str:
    """The resource type the engine knows the class by: ``pulumi-python:dynamic/llmreg:Agent``."""
    return f"pulumi-python:{cls._resource_type_name}"


def registration(
    cls: type[RegistryResource],
    props: dict[str, Any],
    opts: pulumi.ResourceOptions | None,
    remember: Callable[[Any], None] | None = None,
) -> Registration:
    """A dynamic resource's registration, as ``pulumi.dynamic.Resource.__init__`` makes it,
    with every output its class declares (unset ones left to the provider) and its secret
    outputs kept secret in the state.

    The generated ``__init__`` calls ``pulumi.CustomResource.__init__`` itself: the SDK takes
    the frames below the third ``__init__`` on the stack as the resource's stack trace and
    source position, so they then start at the program's line, not inside llmreg."""
    outputs = declared_outputs(cls)
    secrets = [output for output, secret in outputs.items() if secret]
    if PROVIDER_KEY in props:
        raise ValueError(f"{PROVIDER_KEY} is reserved")
    return Registration(
        type_token(cls),
        {**dict.fromkeys(outputs), **props, PROVIDER_KEY: _pickled_provider(cls.provider_type)},
        pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=secrets)
        ),
        remember or Registration.remember,
    )


R = TypeVar("R", bound="RegistryResource")


def read_existing(
    cls: type[R],
    name: str,
    id_: pulumi.Input[str],
    opts: pulumi.ResourceOptions | None,
    registry: str | None,
) -> R:
    """A resource read from the registry by id, not managed by the program (``get()``)."""
    resource = cls.__new__(cls)
    read_opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id_))
    got = registration(cls, {"registry": registry}, read_opts)
    pulumi.CustomResource.__init__(resource, got.type, name, got.props, got.opts)
    return resource


class RegistryResource(pulumi.dynamic.Resource):
    """The base of llmreg's resource classes (generated): what they do alike."""

    provider_type: ClassVar[type[pulumi.dynamic.ResourceProvider]]
    """The dynamic provider of the resource type."""

    @classmethod
    def get(
        cls,
        resource_name: str,
        id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
        *,
        registry: str | None = None,
    ) -> Self:
        """Read an existing record from the registry into this program without managing it.

        :param resource_name: The unique name of the resulting resource.
        :param id: ``<product>/<tag>``; a product's is its tag.
        :param opts: Options of the resource.
        :param registry: A registry named in stack config `llmreg:registries`.
        """
        return read_existing(cls, resource_name, id, opts, registry)
