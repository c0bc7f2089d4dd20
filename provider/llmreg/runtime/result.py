"""The runtime's result: effective settings of one agent (or model) in one environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic.alias_generators import to_camel

from ..overrides import Layer


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
    explicitly: it is excluded from ``repr``, ``str`` and :meth:`to_dict` (unless asked)."""

    product: str
    env: str
    agent: str | None
    model_tag: str
    provider: str
    model: str
    base_url: str | None
    temperature: float | None
    max_tokens: int | None
    top_p: float | None
    stop_sequences: tuple[str, ...] | None
    timeout: int | None
    provenance: dict[str, Layer]
    system_prompt: str | None = None
    _key: ApiKey | None = field(default=None, repr=False, compare=False)

    @property
    def api_key(self) -> str | None:
        """The plaintext API key (None when the model env has none, e.g. a custom model)."""
        return self._key.reveal() if self._key is not None else None

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
            "hasKey": self._key is not None,
        }
        if include_key:
            out["apiKey"] = self.api_key
        return out
