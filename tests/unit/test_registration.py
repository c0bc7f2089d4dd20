"""A resource's registration does what ``pulumi.dynamic.Resource.__init__`` does (the generated
``__init__`` calls ``pulumi.CustomResource.__init__`` itself, so that the state's stack trace
and source position start at the program's line): the same type token, the SDK's own pickle of
the provider, every declared output, secret outputs kept secret."""

from __future__ import annotations

import base64

import pulumi
import pytest
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider

import llmreg
from llmreg.resources._dynamic import AgentProvider, LlmModelProvider, ProductProvider
from llmreg.resources._outputs import declared_outputs, registration


@pytest.mark.parametrize(
    ("cls", "provider", "name"),
    [
        (llmreg.Product, ProductProvider, "Product"),
        (llmreg.LlmModel, LlmModelProvider, "LlmModel"),
        (llmreg.Agent, AgentProvider, "Agent"),
    ],
)
def test_a_registration_is_the_dynamic_resources_own(
    cls: type[llmreg.Product], provider: type[pulumi.dynamic.ResourceProvider], name: str
) -> None:
    got = registration(cls, {"tag": "t"}, None)
    assert got.type == f"pulumi-python:dynamic/llmreg:{name}"
    assert got.props[PROVIDER_KEY] == serialize_provider(provider())
    assert b"llmreg.resources._dynamic" in base64.b64decode(got.props[PROVIDER_KEY])
    assert set(declared_outputs(cls)) <= set(got.props) and got.props["tag"] == "t"
    secrets = [k for k, secret in declared_outputs(cls).items() if secret]
    assert got.opts.additional_secret_outputs == secrets


def test_the_provider_key_is_reserved() -> None:
    with pytest.raises(ValueError, match="__provider"):
        registration(llmreg.LlmModel, {PROVIDER_KEY: "x"}, None)


def test_the_callers_options_are_kept() -> None:
    opts = pulumi.ResourceOptions(protect=True, additional_secret_outputs=["name"])
    got = registration(llmreg.LlmModel, {}, opts)
    assert got.opts.protect is True
    assert "name" in (got.opts.additional_secret_outputs or [])
    assert "apiKeys" in (got.opts.additional_secret_outputs or [])
