"""What the resources do with their arguments, beside the generated signatures (``_generated``).

The generated ``__init__`` of each resource collects its arguments into the camelCase property
map and hands it here (``wire_<resource>``), which returns its registration. What one Pulumi
program declares is recorded, so resources can find each other: a model whose ``product`` is a
Product of the same program (the resource, its ``tag`` output or its tag string) takes the
product's envs and sealing keys from it; an agent whose ``model`` names a model of the same
program takes the model's settings from it. Both are then checked completely by ``pulumi
preview``, even when the registry is still empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from ._args import coerce, coerce_all
from ._dynamic import LlmModelProvider, ProductProvider
from ._generated.args import (
    AgentEnvArgs,
    KeyRotationArgs,
    ModelConfigArgs,
    ModelEnvArgs,
    TerminationArgs,
    ToolArgs,
)
from ._outputs import Registration, registration, type_token

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
    if getattr(type(value), "provider_type", None) is ProductProvider:
        return value  # a Product read with Product.get()
    if isinstance(value, str):
        found = _products_by_tag.get(value, [])
        return found[0] if len(found) == 1 else None
    return None


def declared_model(value: Any, product: Any) -> Any | None:
    """The LlmModel of this program that ``value`` designates: the resource, its ``tag`` output
    or its tag string (the same product's, when several products of the program have a model
    of that tag)."""
    if id(value) in _models:
        return _models[id(value)]
    if getattr(type(value), "provider_type", None) is LlmModelProvider:
        return value  # a model read with LlmModel.get()
    if not isinstance(value, str):
        return None
    found = _models_by_tag.get(value, [])
    if len(found) > 1:
        owner = declared_product(product)
        found = [m for m in found if owner is not None and _model_product.get(id(m)) is owner]
    return found[0] if len(found) == 1 else None


def model_settings_of(model: Any, product: Any) -> Any:
    """The ``settings`` of the LlmModel of this program whose tag ``model`` resolves to, for a
    tag given as an output that is not a model's own ``tag`` output (``sonnet.tag.apply(...)``,
    a stack output, a config value): looked up once its value is known, so that any output that
    resolves to a same-program model's tag works like the resource. None for anything else."""
    if not isinstance(model, pulumi.Output):
        return None
    return model.apply(lambda tag: _settings_or_none(declared_model(tag, product)))


def _settings_or_none(model: Any | None) -> Any:
    return model.settings if model is not None else None


def _present(settings: list[Any]) -> Any:
    """The settings of the fallback models of this program (a tag output resolves to a model of
    this program, or to None for a model managed elsewhere)."""
    known = [s for s in settings if s is not None]
    return pulumi.Output.all(*known).apply(lambda values: [v for v in values if v is not None])


def owner_urn(resource_name: str, cls: Any, opts: pulumi.ResourceOptions | None) -> Any:
    """The URN the resource will have: recorded in the registry as the record's owner."""
    type_ = type_token(cls)
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


def wire_product(
    cls: Any, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None
) -> Registration:
    props.update(
        publicKeys=props["publicKeys"] or {},
        nextPublicKeys=props["nextPublicKeys"] or {},
        keyRotations=_rotations(props["keyRotations"]),
        owner=owner_urn(name, cls, opts),
        # Made in check: secret placeholders make the engine keep them secret in inputs.
        privateKeys=pulumi.Output.secret({}),
        nextPrivateKeys=pulumi.Output.secret({}),
        # check shows a key pair it makes during a preview as unknown: `up` makes its own.
        dryRun=pulumi.runtime.is_dry_run(),
    )

    def remember(product: Any) -> None:
        _products[id(product)] = _products[id(product.tag)] = product
        if isinstance(props["tag"], str):
            _products_by_tag.setdefault(props["tag"], []).append(product)

    return registration(cls, props, opts, remember)


def wire_llm_model(
    cls: Any, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None
) -> Registration:
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
        owner=owner_urn(name, cls, opts),
    )

    def remember(model: Any) -> None:
        _models[id(model)] = _models[id(model.tag)] = model
        _model_product[id(model)] = owner
        if isinstance(props["tag"], str):
            _models_by_tag.setdefault(props["tag"], []).append(model)

    return registration(cls, props, opts, remember)


def _secret(value: pulumi.Output[Any]) -> pulumi.Output[Any]:
    return pulumi.Output.secret(value)


def _config(value: Any, where: str) -> dict[str, Any]:
    return coerce(value or {}, ModelConfigArgs, where).to_props(where)


def wire_agent(
    cls: Any, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None
) -> Registration:
    """The settings of the model and of the fallback models come from their resources, when
    they are in this program."""
    product = props["product"]
    owner = declared_product(product)
    model = declared_model(props["model"], product)
    chain_tags: list[Any] = []
    chain_settings: list[Any] = []
    fallbacks = props["fallbacks"]
    for fallback in fallbacks or []:
        found = declared_model(fallback, product)
        chain_tags.append(found.tag if found is not None else fallback)
        chain_settings.append(
            found.settings if found is not None else model_settings_of(fallback, product)
        )
    termination = props["termination"]
    props.update(
        product=owner.tag if owner is not None else product,
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
        modelSettings=model.settings
        if model is not None
        else model_settings_of(props["model"], product),
        fallbacks=chain_tags if fallbacks is not None else None,
        fallbackSettings=_present(chain_settings) if chain_settings else None,
        termination=coerce(termination, TerminationArgs, "termination").to_props()
        if termination is not None
        else None,
        productEnvs=owner.envs if owner is not None else None,
        owner=owner_urn(name, cls, opts),
    )
    return registration(cls, props, opts)
