"""The rules of design §2: every violation names its field and says how to fix it.

A model's rules are tested on what the product validates: the LlmModel resource's inputs
(``LlmModelArgs``, API keys in a secret map) and the registry's record."""

from __future__ import annotations

from typing import Any

import pytest

from llmreg.deploy import LlmModelArgs
from llmreg.domain import AgentRecord, LlmModelRecord, ProductRecord, parse
from llmreg.errors import ValidationFailed


def model(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "product": "shop",
        "tag": "claude",
        "name": "Claude",
        "provider": "anthropic",
        "model": "claude-sonnet-4-20250514",
        "envs": [{"slug": "dev"}],
        "apiKeys": {"dev": "sk-dev"},
    }
    return {**base, **changes}


def agent(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "product": "shop",
        "tag": "support",
        "name": "Support",
        "model": "claude",
    }
    return {**base, **changes}


def failure_paths(kind: type[Any], data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationFailed) as err:
        parse(kind, data, "test record")
    return [p.path for p in err.value.problems]


def test_defaults_are_filled() -> None:
    spec = parse(LlmModelArgs, model(), "model")
    assert spec.temperature == 0.7
    assert spec.envs[0].active is True


def test_api_key_is_hidden_in_repr() -> None:
    spec = parse(LlmModelArgs, model(apiKeys={"dev": "sk-very-secret"}), "model")
    assert "sk-very-secret" not in repr(spec)
    assert "sk-very-secret" not in str(spec.to_wire())


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"tag": "Bad Tag"}, "tag"),
        ({"tag": "-x"}, "tag"),
        ({"tag": "a" * 64}, "tag"),
        ({"product": ""}, "product"),
        ({"name": ""}, "name"),
        ({"provider": "acme"}, "provider"),
        ({"model": ""}, "model"),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"topP": 1.5}, "topP"),
        ({"maxTokens": 0}, "maxTokens"),
        ({"timeout": -5}, "timeout"),
        ({"envs": []}, "envs"),
        ({"envs": [{"slug": "dev"}, {"slug": "dev"}]}, "envs"),
        ({"apiKeys": {}}, "envs[0].apiKey"),
        ({"apiKeys": {"dev": ""}}, "envs[0].apiKey"),
        ({"apiKeys": {"dev": "k", "prd": "k"}}, "apiKeys.prd"),
        ({"provider": "custom", "apiKeys": {}}, "envs[0].baseUrl"),
        ({"envs": [{"slug": "dev", "baseUrl": "not a url"}]}, "envs[0].baseUrl"),
        ({"envs": [{"slug": "DEV"}], "apiKeys": {"DEV": "k"}}, "envs[0].slug"),
        ({"productEnvs": ["prd"]}, "envs[0].slug"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_model_rules(changes: dict[str, Any], path: str) -> None:
    assert path in failure_paths(LlmModelArgs, model(**changes))


def test_custom_model_needs_no_key() -> None:
    spec = parse(
        LlmModelArgs,
        model(
            provider="custom", envs=[{"slug": "dev", "baseUrl": "http://llm.internal"}], apiKeys={}
        ),
        "model",
    )
    assert spec.keyed_envs() == []


def test_a_stored_model_needs_its_sealed_keys() -> None:
    record = {k: v for k, v in model().items() if k != "apiKeys"}
    assert failure_paths(LlmModelRecord, record) == ["envs[0].apiKey"]


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"model": "Not A Tag"}, "model"),
        ({"tools": [{"name": "x", "parameters": {"type": "string"}}]}, "tools[0].parameters"),
        ({"tools": [{"name": "has space"}]}, "tools[0].name"),
        ({"tools": [{"name": "a"}, {"name": "a"}]}, "tools"),
        (
            {"tools": [{"name": "a", "parameters": {"type": "object", "required": ["q"]}}]},
            "tools[0].parameters",
        ),
        ({"modelConfig": {"temperature": 3}}, "modelConfig.temperature"),
        ({"envs": [{"slug": "dev", "modelConfig": {"topP": 2}}]}, "envs[0].modelConfig.topP"),
        ({"envs": [{"slug": "dev"}, {"slug": "dev"}]}, "envs"),
    ],
)
def test_agent_rules(changes: dict[str, Any], path: str) -> None:
    assert path in failure_paths(AgentRecord, agent(**changes))


def test_every_bad_field_is_reported_at_once() -> None:
    paths = failure_paths(LlmModelArgs, model(temperature=9, maxTokens=0, tag="BAD"))
    assert {"temperature", "maxTokens", "tag"} <= set(paths)


def test_messages_say_what_to_do() -> None:
    with pytest.raises(ValidationFailed) as err:
        parse(LlmModelArgs, model(apiKeys={}), "LlmModel 'claude'")
    text = str(err.value)
    assert "LlmModel 'claude'" in text
    assert "needs an apiKey" in text
    assert "custom" in text


def test_product_env_slugs_unique() -> None:
    env = {"slug": "dev", "keyId": "k", "publicKey": "p"}
    assert "envs" in failure_paths(
        ProductRecord, {"tag": "shop", "name": "Shop", "envs": [env, env]}
    )


def test_wire_shape_is_camel_case() -> None:
    rec = parse(AgentRecord, agent(systemPrompt="hi", modelConfig={"maxTokens": 5}), "agent")
    wire = rec.to_wire()
    assert wire["systemPrompt"] == "hi"
    assert wire["modelConfig"] == {"maxTokens": 5}
    assert parse(AgentRecord, wire, "agent") == rec
