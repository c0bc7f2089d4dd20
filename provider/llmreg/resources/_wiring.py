"""What the resources do with their arguments, beside the generated signatures (``_generated``).

The generated ``__init__`` of each resource collects its arguments into the camelCase property
map and hands it here. What one Pulumi program declares is recorded, so resources can find each
other: a model whose ``product`` is a Product of the same program (the resource, its ``tag``
output or its tag string) takes the product's envs and sealing keys from it; an agent whose
``model`` names a model of the same program takes the model's settings from it. Both are then
checked completely by ``pulumi preview``, even when the registry is still empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from ._args import coerce, coerce_all
from ._dynamic import AgentProvider, LlmModelProvider, ProductProvider
from ._generated.args import (
    AgentEnvArgs,
    KeyRotationArgs,
    ModelConfigArgs,
    ModelEnvArgs,
    ToolArgs,
)
from ._outputs import register

_products: dict[int, Any] = {}
"""id() of each Product of this program, and of its ``tag`` output -> the Product."""
_products_by_tag: dict[str, list[Any]] = {}
_models: dict[int, Any] = {}
_models_by_tag: dict[str, list[Any]] = {}
_model_product: dict[int, Any] = {}
"""id() of a model -> the Product of this program it belongs to (or None)."""


def declared_product(value: Any) -> Any | None:
    """The Product of this program that ``value`` designates (the resource, its ``tag`` output
    or its tag string), if any."""
    if id(value) in _products:
        return _products[id(value)]
    if isinstance(value, str):
        found = _products_by_tag.get(value, [])
        return found[0] if len(found) == 1 else None
    return None


def declared_model(value: Any, product: Any) -> Any | None:
    """The LlmModel of this program that ``value`` designates: the resource, or its tag (of the
    same product, when several products of the program have a model of that tag)."""
    if id(value) in _models:
        return _models[id(value)]
    if not isinstance(value, str):
        return None
    found = _models_by_tag.get(value, [])
    if len(found) > 1:
        owner = declared_product(product)
        found = [m for m in found if owner is not None and _model_product.get(id(m)) is owner]
    return found[0] if len(found) == 1 else None


def owner_urn(resource_name: str, type_name: str, opts: pulumi.ResourceOptions | None) -> Any:
    """The URN the resource will have: recorded in the registry as the record's owner."""
    type_ = f"pulumi-python:dynamic/llmreg:{type_name}"
    parent = opts.parent if opts is not None else None
    if parent is None:  # a child of the stack: its URN is known now
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{type_}::{resource_name}"
    return pulumi.create_urn(resource_name, type_, parent)


def _rotations(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value or {}
    out = {}
    for env, rotation in value.items():
        out[env] = coerce(rotation, KeyRotationArgs, f"key_rotations['{env}']").to_props()
    return out


def declare_product(
    resource: Any, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None
) -> None:
    props.update(
        publicKeys=props["publicKeys"] or {},
        nextPublicKeys=props["nextPublicKeys"] or {},
        keyRotations=_rotations(props["keyRotations"]),
        owner=owner_urn(name, "Product", opts),
        # Made in check: secret placeholders make the engine keep them secret in inputs.
        privateKeys=pulumi.Output.secret({}),
        nextPrivateKeys=pulumi.Output.secret({}),
    )
    register(resource, ProductProvider(), name, props, opts)
    _products[id(resource)] = _products[id(resource.tag)] = resource
    if isinstance(props["tag"], str):
        _products_by_tag.setdefault(props["tag"], []).append(resource)


def declare_llm_model(
    resource: Any, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None
) -> None:
    """API keys travel in one secret property, ``apiKeys`` (env -> key), so ``envs`` stays
    readable in previews; the product's envs and sealing keys come from its resource."""
    envs = []
    keys: Any = {}
    for i, env in enumerate(coerce_all(props["envs"], ModelEnvArgs, "envs")):
        wire = env.to_props(f"envs[{i}]")
        if "apiKey" in wire:
            keys[env.slug] = wire.pop("apiKey")
        envs.append(wire)
    owner = declared_product(props["product"])
    sealing_keys = props["sealingKeys"]
    props.update(
        product=owner.tag if owner is not None else props["product"],
        envs=envs,
        apiKeys=_secret(pulumi.Output.all(**keys)) if keys else {},
        sealingKeys=sealing_keys
        if sealing_keys is not None
        else (owner.sealing_keys if owner is not None else None),
        productEnvs=owner.envs if owner is not None else None,
        owner=owner_urn(name, "LlmModel", opts),
    )
    register(resource, LlmModelProvider(), name, props, opts)
    _models[id(resource)] = resource
    _model_product[id(resource)] = owner
    tag = props["tag"]
    if isinstance(tag, str):
        _models_by_tag.setdefault(tag, []).append(resource)


def _secret(value: pulumi.Output[Any]) -> pulumi.Output[Any]:
    return pulumi.Output.secret(value)


def _config(value: Any, where: str) -> dict[str, Any]:
    return coerce(value or {}, ModelConfigArgs, where).to_props(where)


def declare_agent(
    resource: Any, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None
) -> None:
    """The model's settings come from its resource, when it is in this program."""
    owner = declared_product(props["product"])
    model = declared_model(props["model"], props["product"])
    props.update(
        product=owner.tag if owner is not None else props["product"],
        model=model.tag if model is not None else props["model"],
        tools=[
            t.to_props(f"tools[{i}]")
            for i, t in enumerate(coerce_all(props["tools"], ToolArgs, "tools"))
        ],
        modelConfig=_config(props["modelConfig"], "model_config"),
        envs=[
            {"slug": e.slug, "modelConfig": _config(e.model_config, f"envs[{i}]")}
            for i, e in enumerate(coerce_all(props["envs"], AgentEnvArgs, "envs"))
        ],
        modelSettings=model.settings if model is not None else None,
        productEnvs=owner.envs if owner is not None else None,
        owner=owner_urn(name, "Agent", opts),
    )
    register(resource, AgentProvider(), name, props, opts)
