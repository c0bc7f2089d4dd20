"""Provider-native request parameters of a chat call, built from a :class:`ResolvedConfig`.

One :class:`ProviderTable` per provider says where its chat call takes each llmreg setting, the
system prompt and the tools: a dotted path into the call's keyword arguments
(``config.max_output_tokens`` is ``config={"max_output_tokens": ...}``). Its ``settings`` are
typed by the overridable settings (``SettingPaths``, generated from ``ModelConfig``): a new
setting is one row in the table of each provider that has such a parameter, and a provider
without one leaves it out (the setting is then not sent). Nothing here imports an
SDK, so building the parameters works without the provider's extra installed. The names and
shapes were checked against the SDKs' own sources (openai 3.57, anthropic 2.14, google-genai
3.6, cohere 7.3); the table of docs/runtime.md is generated from these (``make generate``).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from ..domain import Provider, Tool
from ._settings_gen import SettingPaths


class CallConfig(Protocol):
    """What the parameters are made of: a :class:`~llmreg.runtime.ResolvedConfig` (its
    settings are read by name)."""

    @property
    def provider(self) -> Provider: ...
    @property
    def model(self) -> str: ...
    @property
    def system_prompt(self) -> str | None: ...
    @property
    def tools(self) -> Sequence[Tool]: ...


ANTHROPIC_DEFAULT_MAX_TOKENS = 4096
"""Anthropic's Messages API requires ``max_tokens``; when no layer sets ``maxTokens`` this is
sent. 4096 is the largest output every Claude model accepts (the oldest allow no more)."""

Params = dict[str, Any]
ToolFormat = Callable[[Sequence[Tool]], list[dict[str, Any]]]


def _function(tool: Tool) -> dict[str, Any]:
    """name, description (when set) and the JSON Schema under ``parameters``."""
    out: dict[str, Any] = {"name": tool.name}
    if tool.description is not None:
        out["description"] = tool.description
    out["parameters"] = copy.deepcopy(tool.parameters)
    return out


def _openai_tools(tools: Sequence[Tool]) -> list[dict[str, Any]]:
    """``[{"type": "function", "function": {name, description, parameters}}]`` (OpenAI chat
    completions and Cohere v2 chat share this shape)."""
    return [{"type": "function", "function": _function(t)} for t in tools]


def _anthropic_tools(tools: Sequence[Tool]) -> list[dict[str, Any]]:
    """``[{name, description, input_schema}]``."""
    out = []
    for tool in tools:
        fn = _function(tool)
        fn["input_schema"] = fn.pop("parameters")
        out.append(fn)
    return out


def _google_tools(tools: Sequence[Tool]) -> list[dict[str, Any]]:
    """One ``Tool`` holding every function declaration; the schema goes under
    ``parameters_json_schema`` (plain JSON Schema; ``parameters`` takes Google's OpenAPI
    subset, which would reject parts of a valid JSON Schema)."""
    declarations = []
    for tool in tools:
        fn = _function(tool)
        fn["parameters_json_schema"] = fn.pop("parameters")
        declarations.append(fn)
    return [{"function_declarations": declarations}]


SystemIn = Literal["message", "system", "config.system_instruction"]


@dataclass(frozen=True)
class ProviderTable:
    """Where one provider's chat call takes each value (dotted keyword-argument paths)."""

    call: str
    """The SDK call the parameters are for (documentation; ``stream`` variants take the same)."""
    settings: SettingPaths
    """Setting (snake_case) -> where the call takes it."""
    timeout_unit: Literal["s", "ms"]
    messages: str
    """Where the caller's conversation goes (google calls it ``contents``)."""
    system: SystemIn
    """``message``: a leading ``{"role": "system", "content": ...}`` message; else a path."""
    tools: str
    tool_format: ToolFormat
    default_max_tokens: int | None = None


OPENAI = ProviderTable(
    call="client.chat.completions.create",
    settings={
        "temperature": "temperature",
        # max_tokens is deprecated for OpenAI and refused by its reasoning models.
        "max_tokens": "max_completion_tokens",
        "top_p": "top_p",
        "stop_sequences": "stop",
        "timeout": "timeout",
    },
    timeout_unit="s",
    messages="messages",
    system="message",
    tools="tools",
    tool_format=_openai_tools,
)

# OpenAI-compatible servers (vLLM, Ollama, llama.cpp, gateways) know max_tokens; not all know
# max_completion_tokens.
CUSTOM = dataclasses.replace(OPENAI, settings={**OPENAI.settings, "max_tokens": "max_tokens"})

ANTHROPIC = ProviderTable(
    call="client.messages.create",
    # anthropic>=1 dropped temperature/top_p from the method signatures (a TypeError there);
    # the API still takes them in the body, which extra_body writes to (the SDK's MIGRATION.md).
    settings={
        "temperature": "extra_body.temperature",
        "max_tokens": "max_tokens",
        "top_p": "extra_body.top_p",
        "stop_sequences": "stop_sequences",
        "timeout": "timeout",
    },
    timeout_unit="s",
    messages="messages",
    system="system",
    tools="tools",
    tool_format=_anthropic_tools,
    default_max_tokens=ANTHROPIC_DEFAULT_MAX_TOKENS,
)

GOOGLE = ProviderTable(
    call="client.models.generate_content",
    settings={
        "temperature": "config.temperature",
        "max_tokens": "config.max_output_tokens",
        "top_p": "config.top_p",
        "stop_sequences": "config.stop_sequences",
        "timeout": "config.http_options.timeout",
    },
    timeout_unit="ms",
    messages="contents",
    system="config.system_instruction",
    tools="config.tools",
    tool_format=_google_tools,
)

COHERE = ProviderTable(
    call="client.chat",
    settings={
        "temperature": "temperature",
        "max_tokens": "max_tokens",
        "top_p": "p",
        "stop_sequences": "stop_sequences",
        "timeout": "request_options.timeout",
    },
    timeout_unit="s",
    messages="messages",
    system="message",
    tools="tools",
    tool_format=_openai_tools,
)

TABLES: dict[Provider, ProviderTable] = {
    "openai": OPENAI,
    "custom": CUSTOM,
    "anthropic": ANTHROPIC,
    "google": GOOGLE,
    "cohere": COHERE,
}


def _put(out: Params, path: str, value: object) -> None:
    *parents, leaf = path.split(".")
    node = out
    for name in parents:
        node = node.setdefault(name, {})
    node[leaf] = value


def system_messages(cfg: CallConfig) -> list[dict[str, Any]]:
    """The messages that carry the system prompt for providers that take it as a message
    (openai, custom, cohere); ``[]`` for the others (their parameters carry it) or when the
    agent has none."""
    if cfg.system_prompt is None or TABLES[cfg.provider].system != "message":
        return []
    return [{"role": "system", "content": cfg.system_prompt}]


def _value(cfg: CallConfig, name: str, table: ProviderTable) -> object:
    """The value of setting ``name`` as the provider takes it (None: leave it out)."""
    value = getattr(cfg, name)
    if name == "max_tokens" and value is None:
        return table.default_max_tokens
    if name == "timeout" and value is not None and table.timeout_unit == "s":
        return value / 1000
    return list(value) if isinstance(value, tuple) else value


def request_params(cfg: CallConfig, messages: Sequence[Mapping[str, Any]] | None = None) -> Params:
    """Keyword arguments for the provider's chat call (``TABLES[provider].call``).

    Only settings some layer sets are included (anthropic's ``max_tokens`` always is).
    ``messages``, in the provider's own message shape, are included under its name, after the
    system message where the provider takes the system prompt as a message. Every call
    returns a fresh dict: changing it changes nothing else.
    """
    if isinstance(messages, (str, bytes)):
        raise TypeError("messages is a list of messages (dicts), not a string")
    table = TABLES[cfg.provider]
    out: Params = {"model": cfg.model}
    paths: Mapping[str, str] = table.settings  # type: ignore[assignment]
    for name, path in paths.items():
        value = _value(cfg, name, table)
        if value is not None:
            _put(out, path, value)
    if cfg.system_prompt is not None and table.system != "message":
        _put(out, table.system, cfg.system_prompt)
    if cfg.tools:
        _put(out, table.tools, table.tool_format(cfg.tools))
    if messages is not None:
        _put(out, table.messages, [*system_messages(cfg), *copy.deepcopy(list(messages))])
    return out


__all__ = [
    "ANTHROPIC_DEFAULT_MAX_TOKENS",
    "TABLES",
    "ProviderTable",
    "request_params",
    "system_messages",
]
