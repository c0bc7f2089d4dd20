"""The runtime's result: effective settings of one agent (or model) in one environment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic.alias_generators import to_camel

from ..domain import Provider, Tool
from ..errors import SealingError
from ..overrides import Layer
from . import params
from .clients import make_client


class ApiKey:
    """Holds the plaintext API key; ``repr``/``str`` never show it, ``reveal()`` does."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "ApiKey('**********')"

    __str__ = __repr__

    def __reduce__(self) -> str:
        raise TypeError("an API key is not picklable")


@dataclass(frozen=True)
class ResolvedConfig:
    """Effective configuration. ``api_key`` is the plaintext str, but only when accessed
    explicitly: it is excluded from ``repr``, ``str`` and :meth:`to_dict` (unless asked).

    :meth:`client` / :meth:`async_client` give the provider's SDK client and
    :meth:`request_params` the provider-native arguments of a chat call (docs/runtime.md)."""

    product: str
    env: str
    agent: str | None
    model_tag: str
    provider: Provider
    model: str
    base_url: str | None
    temperature: float | None
    max_tokens: int | None
    top_p: float | None
    stop_sequences: tuple[str, ...] | None
    timeout: int | None
    provenance: dict[str, Layer]
    system_prompt: str | None = None
    tools: tuple[Tool, ...] = ()
    _key: ApiKey | None = field(default=None, repr=False, compare=False)
    _locked: str | None = field(default=None, repr=False, compare=False)
    """Why the env's sealed key was not opened (resolved without a private key)."""

    @property
    def api_key(self) -> str | None:
        """The plaintext API key (None when the model env has none, e.g. a custom model).
        Resolved without a private key, a model env that has a key raises SealingError naming
        the env's key pair and how to pass its private key."""
        if self._locked is not None:
            raise SealingError(self._locked)
        return self._key.reveal() if self._key is not None else None

    @property
    def key_opened(self) -> bool:
        """Whether :attr:`api_key` is available (opened, or the model env has no key)."""
        return self._locked is None

    def to_dict(self, *, include_key: bool = False) -> dict[str, object]:
        """JSON-able view in the records' camelCase names (provenance keys too); the API key
        only with ``include_key=True``."""
        out: dict[str, object] = {
            "product": self.product,
            "env": self.env,
            "agent": self.agent,
            "modelTag": self.model_tag,
            "provider": self.provider,
            "model": self.model,
            "baseUrl": self.base_url,
            "temperature": self.temperature,
            "maxTokens": self.max_tokens,
            "topP": self.top_p,
            "stopSequences": list(self.stop_sequences) if self.stop_sequences is not None else None,
            "timeout": self.timeout,
            "provenance": {to_camel(k): str(v) for k, v in self.provenance.items()},
            "systemPrompt": self.system_prompt,
            "tools": [t.to_wire() for t in self.tools],
            "hasKey": self._key is not None or self._locked is not None,
        }
        if include_key:
            out["apiKey"] = self.api_key
        return out

    def request_params(self, messages: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """Keyword arguments of the provider's chat call, in its own names: model, sampling
        settings, max tokens, stop sequences, timeout, the system prompt and the tools; with
        ``messages`` (in the provider's message shape) also the conversation, after the system
        message for providers that take the system prompt as one (openai, custom, cohere).
        Imports no SDK. The table per provider is in docs/runtime.md."""
        return params.request_params(self, messages)

    def system_messages(self) -> list[dict[str, Any]]:
        """``[{"role": "system", "content": prompt}]`` for providers that take the system prompt
        as a message (openai, custom, cohere) when the agent has one, else ``[]``: prepend it to
        your messages when you do not pass them to :meth:`request_params`."""
        return params.system_messages(self)

    def client(self, **options: Any) -> Any:
        """The provider's official SDK client (``openai.OpenAI`` for openai and custom,
        ``anthropic.Anthropic``, ``google.genai.Client``, ``cohere.ClientV2``) with the opened
        key, the base URL and the timeout set; ``options`` go to its constructor (and win).
        A missing SDK raises LlmregError naming the extra to install."""
        return make_client(self, is_async=False, options=options)

    def async_client(self, **options: Any) -> Any:
        """Like :meth:`client`, the SDK's async client (``AsyncOpenAI``, ``AsyncAnthropic``,
        ``google.genai.Client(...).aio``, ``AsyncClientV2``)."""
        return make_client(self, is_async=True, options=options)
