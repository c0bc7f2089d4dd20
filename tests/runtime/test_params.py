"""ResolvedConfig.request_params() / system_messages() without any SDK: the per-provider tables.

The full wire requests, through each real SDK, are asserted in test_clients.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from llmreg.domain import Tool
from llmreg.runtime import ResolvedConfig
from llmreg.runtime.params import ANTHROPIC_DEFAULT_MAX_TOKENS, TABLES

TOOL = Tool(name="lookup_order", parameters={"type": "object", "properties": {}})


def _cfg(provider: str, **fields: Any) -> ResolvedConfig:
    base: dict[str, Any] = {
        "product": "shop",
        "env": "prd",
        "agent": "support",
        "model_tag": "m",
        "provider": provider,
        "model": "model-id",
        "base_url": None,
        "temperature": 0.7,
        "max_tokens": None,
        "top_p": None,
        "stop_sequences": None,
        "timeout": None,
        "provenance": {"temperature": "model"},
    }
    return ResolvedConfig(**{**base, **fields})


def test_every_provider_has_a_table() -> None:
    from llmreg.domain import PROVIDERS

    assert set(TABLES) == set(PROVIDERS)


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ("openai", {"model": "model-id", "temperature": 0.7}),
        ("custom", {"model": "model-id", "temperature": 0.7}),
        (
            "anthropic",
            {
                "model": "model-id",
                "max_tokens": ANTHROPIC_DEFAULT_MAX_TOKENS,
                "extra_body": {"temperature": 0.7},
            },
        ),
        ("google", {"model": "model-id", "config": {"temperature": 0.7}}),
        ("cohere", {"model": "model-id", "temperature": 0.7}),
    ],
)
def test_only_set_values_and_anthropic_default_max_tokens(
    provider: str, expected: dict[str, Any]
) -> None:
    """A bare model: unset settings are left out (the provider's default applies), but the
    Anthropic Messages API requires max_tokens."""
    cfg = _cfg(provider)
    assert cfg.request_params() == expected
    assert cfg.system_messages() == []


@pytest.mark.parametrize(
    ("provider", "timeout"),
    [
        ("openai", {"timeout": 1.5}),
        ("custom", {"timeout": 1.5}),
        ("anthropic", {"timeout": 1.5}),
        ("google", {"config": {"temperature": 0.7, "http_options": {"timeout": 1500}}}),
        ("cohere", {"request_options": {"timeout": 1.5}}),
    ],
)
def test_timeout_units(provider: str, timeout: dict[str, Any]) -> None:
    """llmreg's timeout is in milliseconds; google takes milliseconds, the others seconds."""
    params = _cfg(provider, timeout=1500).request_params()
    for name, value in timeout.items():
        assert params[name] == value


@pytest.mark.parametrize("provider", ["openai", "custom", "cohere"])
def test_system_prompt_as_a_message(provider: str) -> None:
    cfg = _cfg(provider, system_prompt="Be brief.")
    system = {"role": "system", "content": "Be brief."}
    assert cfg.system_messages() == [system]
    assert "messages" not in cfg.request_params()  # messages are the caller's
    user = {"role": "user", "content": "Hi"}
    assert cfg.request_params(messages=[user])["messages"] == [system, user]


@pytest.mark.parametrize(
    ("provider", "path", "messages_key"),
    [
        ("anthropic", ("system",), "messages"),
        ("google", ("config", "system_instruction"), "contents"),
    ],
)
def test_system_prompt_as_a_parameter(
    provider: str, path: tuple[str, ...], messages_key: str
) -> None:
    cfg = _cfg(provider, system_prompt="Be brief.")
    assert cfg.system_messages() == []
    params: Any = cfg.request_params(messages=[{"role": "user", "content": "Hi"}])
    assert params[messages_key] == [{"role": "user", "content": "Hi"}]
    for name in path:
        params = params[name]
    assert params == "Be brief."


def test_each_call_returns_a_fresh_dict() -> None:
    cfg = _cfg("openai", tools=(TOOL,), stop_sequences=("X",))
    user = {"role": "user", "content": "Hi"}
    first = cfg.request_params(messages=[user])
    first["tools"][0]["function"]["parameters"]["properties"]["x"] = {}
    first["stop"].append("Y")
    first["messages"][0]["content"] = "changed"
    second = cfg.request_params(messages=[user])
    assert second["tools"][0]["function"]["parameters"] == {"type": "object", "properties": {}}
    assert second["stop"] == ["X"]
    assert user["content"] == "Hi"
    assert TOOL.parameters == {"type": "object", "properties": {}}


def test_messages_must_be_a_list() -> None:
    with pytest.raises(TypeError, match="list of messages"):
        _cfg("openai").request_params(messages="Hi")  # type: ignore[arg-type]


def test_a_provider_without_a_setting_leaves_it_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """A table row per setting the provider has: a setting without a row is not sent."""
    import dataclasses

    from llmreg.runtime import params

    openai = TABLES["openai"]
    without = {k: v for k, v in openai.settings.items() if k != "top_p"}
    monkeypatch.setitem(params.TABLES, "openai", dataclasses.replace(openai, settings=without))  # type: ignore[arg-type]
    sent = _cfg("openai", top_p=0.5, max_tokens=10).request_params()
    assert sent == {"model": "model-id", "temperature": 0.7, "max_completion_tokens": 10}
