"""What one Pulumi program declares, so resources can find each other.

A model whose ``product`` is a Product of the same program (the resource, its ``tag`` output
or its tag string) takes the product's envs and sealing keys from it; an agent whose ``model``
names a model of the same program takes the model's settings from it. Both are then checked
completely by ``pulumi preview``, even when the registry is still empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi

if TYPE_CHECKING:
    from .llm_model import LlmModel
    from .product import Product

_by_output: dict[int, Product] = {}
_products_by_tag: dict[str, list[Product]] = {}
_models_by_tag: dict[str, list[LlmModel]] = {}
_models_by_output: dict[int, LlmModel] = {}


def add_product(product: Product, tag: Any) -> None:
    _by_output[id(product.tag)] = product
    if isinstance(tag, str):
        _products_by_tag.setdefault(tag, []).append(product)


def add_model(model: LlmModel, tag: Any) -> None:
    _models_by_output[id(model.tag)] = model
    if isinstance(tag, str):
        _models_by_tag.setdefault(tag, []).append(model)


def product_of(value: Any) -> Product | None:
    """The Product of this program that ``value`` designates, if any."""
    from .product import Product

    if isinstance(value, Product):
        return value
    if isinstance(value, pulumi.Output):
        return _by_output.get(id(value))
    if isinstance(value, str):
        found = _products_by_tag.get(value, [])
        return found[0] if len(found) == 1 else None
    return None


def model_named(tag: Any, product: Any) -> LlmModel | None:
    """The LlmModel of this program with tag ``tag`` (its ``tag`` output, or the tag string; the
    same product's, when several products of the program have a model of that tag)."""
    if isinstance(tag, pulumi.Output):
        return _models_by_output.get(id(tag))
    if not isinstance(tag, str):
        return None
    found = _models_by_tag.get(tag, [])
    if len(found) > 1:
        owner = product_of(product)
        found = [m for m in found if owner is not None and getattr(m, "_product", None) is owner]
    return found[0] if len(found) == 1 else None


def model_settings_of(model: Any, product: Any) -> Any:
    """The ``settings`` of the LlmModel of this program whose tag ``model`` resolves to, for a
    tag given as an output that is not a model's own ``tag`` output (``sonnet.tag.apply(...)``,
    a stack output, a config value): looked up once its value is known, so that any output that
    resolves to a same-program model's tag works like the resource. None for anything else."""
    if not isinstance(model, pulumi.Output):
        return None
    return model.apply(lambda tag: _settings_or_none(model_named(tag, product)))


def _settings_or_none(model: LlmModel | None) -> Any:
    return model.settings if model is not None else None


def owner_urn(resource_name: str, type_name: str, opts: pulumi.ResourceOptions | None) -> Any:
    """The URN the resource will have: recorded in the registry as the record's owner."""
    type_ = f"pulumi-python:dynamic/llmreg:{type_name}"
    parent = opts.parent if opts is not None else None
    if parent is None:  # a child of the stack: its URN is known now
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{type_}::{resource_name}"
    return pulumi.create_urn(resource_name, type_, parent)
