"""The hand-written wiring of the resources: a resource read with ``get()`` is recognised like a
declared one when another resource refers to it (its tag and outputs are used, not the object).

Pulumi's in-process mocks stand in for the engine: the function under test only looks resources
up, it registers nothing the engine would check."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

import llmreg
from llmreg.resources import _wiring


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        return {}, []


@pytest.fixture(autouse=True)
def mocks() -> Iterator[None]:
    """The mocks on an event loop of their own (other tests may have closed the current one)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(_Mocks(), project="wiring", stack="test", preview=False)
    yield
    pending = asyncio.all_tasks(loop)  # the registrations the mocks answer
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    asyncio.set_event_loop(None)
    loop.close()


def test_a_model_read_with_get_is_the_model_it_names() -> None:
    model = llmreg.LlmModel.get("sonnet-read", "shop/sonnet")
    assert _wiring.declared_model(model, "shop") is model


def test_a_product_read_with_get_is_the_product_it_names() -> None:
    product = llmreg.Product.get("shop-read", "shop")
    assert _wiring.declared_product(product) is product


def test_a_tag_of_no_declared_model_names_none() -> None:
    assert _wiring.declared_model("not-declared-here", "shop") is None
    assert _wiring.declared_product(object()) is None
