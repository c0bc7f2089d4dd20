"""The runtime's result: effective settings of one agent (or model) in one environment."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic.alias_generators import to_camel

from ..domain import Provider, Tool
from ..domain.agent import Termination
from ..domain.model_config import OVERRIDABLE_FIELDS
from ..errors import SealingError
from ..overrides import Layer, ResolvedModel, wire_provenance
from . import params
from ._settings_gen import ResolvedSettings
from .clients import make_client

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .agent_run import Handlers, Input, RunLimits
    from .run_result import Event, RunResult


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


@dataclass(frozen=True, kw_only=True)
class ResolvedConfig(ResolvedSettings):
    """Effective configuration: the resolved shape (:class:`~llmreg.overrides.ResolvedEnv`) of
    an agent (or model) in one env, with the agent's prompt and tools and the opened key. Each
    overridable setting is an attribute (generated from ``ModelConfig``: ``_settings_gen``).
    ``api_key`` is the plaintext str, but only when accessed explicitly: it is excluded from
    ``repr``, ``str`` and :meth:`to_dict` (unless asked).

    :meth:`client` / :meth:`async_client` give the provider's SDK client and
    :meth:`request_params` the provider-native arguments of a chat call (docs/runtime.md)."""

    product: str
    env: str
    agent: str | None
    model_tag: str
    provider: Provider
    model: str
    base_url: str | None
    provenance: dict[str, Layer]
    """The snake_case name of each setting some layer sets -> that layer."""
    system_prompt: str | None = None
    tools: tuple[Tool, ...] = ()
    fallbacks: tuple[ResolvedConfig, ...] = ()
    """The agent's fallback chain in ``env``, in order: each fallback model resolved with the same
    layers (the runtime's too) on its own settings and with its own key (``model_tag`` is its
    tag). Fallback models that no longer exist or have no active config in ``env`` are left
    out."""
    termination: Termination | None = None
    """The agent's termination limits with the defaults filled in (None: the agent declares
    none; a run then stops after 10 model calls)."""
    _key: ApiKey | None = field(default=None, repr=False, compare=False)
    _locked: str | None = field(default=None, repr=False, compare=False)
    """Why the env's sealed key was not opened (resolved without a private key)."""

    @classmethod
    def of(
        cls,
        resolved: ResolvedModel,
        *,
        product: str,
        env: str,
        agent: str | None,
        model_tag: str,
        system_prompt: str | None = None,
        tools: Sequence[Tool] = (),
        key: ApiKey | None = None,
        locked: str | None = None,
    ) -> ResolvedConfig:
        """The result of ``resolved``, the settings as they are (lists frozen to tuples)."""
        settings: dict[str, Any] = {}
        for name in OVERRIDABLE_FIELDS:
            value = getattr(resolved, name)
            settings[name] = tuple(value) if isinstance(value, list) else value
        return cls(
            product=product,
            env=env,
            agent=agent,
            model_tag=model_tag,
            provider=resolved.provider,
            model=resolved.model,
            base_url=resolved.base_url,
            **settings,
            provenance=dict(resolved.provenance),
            system_prompt=system_prompt,
            tools=tuple(tools),
            _key=key,
            _locked=locked,
        )

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
        }
        for name in OVERRIDABLE_FIELDS:
            value = getattr(self, name)
            out[to_camel(name)] = list(value) if isinstance(value, tuple) else value
        out["provenance"] = {k: str(v) for k, v in wire_provenance(self.provenance).items()}
        out["systemPrompt"] = self.system_prompt
        out["tools"] = [t.to_wire() for t in self.tools]
        out["hasKey"] = self._key is not None or self._locked is not None
        if self.fallbacks:
            out["fallbacks"] = [f.to_dict(include_key=include_key) for f in self.fallbacks]
        if self.termination is not None:
            out["termination"] = self.termination.to_wire()
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

    def run(
        self,
        input: Input,
        handlers: Handlers | None = None,
        **limits: Unpack[RunLimits],
    ) -> RunResult:
        """Run this resolved agent on ``input`` with its tools' ``handlers``, its fallbacks and
        its limits: see :func:`llmreg.run` (docs/runtime.md, "Running an agent")."""
        from .agent_run import run_config

        return run_config(self, input, handlers, **limits)

    async def arun(
        self,
        input: Input,
        handlers: Handlers | None = None,
        **limits: Unpack[RunLimits],
    ) -> RunResult:
        """:meth:`run`, awaited."""
        from .agent_run import arun_config

        return await arun_config(self, input, handlers, **limits)

    def stream(
        self,
        input: Input,
        handlers: Handlers | None = None,
        **limits: Unpack[RunLimits],
    ) -> Iterator[Event]:
        """:meth:`run`, yielding its events (:func:`llmreg.stream`)."""
        from .agent_run import stream_config

        return stream_config(self, input, handlers, **limits)

    def astream(
        self,
        input: Input,
        handlers: Handlers | None = None,
        **limits: Unpack[RunLimits],
    ) -> AsyncIterator[Event]:
        """:meth:`stream` for async code."""
        from .agent_run import astream_config

        return astream_config(self, input, handlers, **limits)
