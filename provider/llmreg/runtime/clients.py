"""The provider's official SDK client for a ``ResolvedConfig``: key, base URL and timeout set.

Each SDK is an optional extra (``llmreg[openai]``, ``[anthropic]``, ``[google]``, ``[cohere]``)
and is imported here, on first use, never at ``import llmreg``. Keyword ``options`` go to the
SDK's constructor as they are and win over what llmreg sets (e.g. ``max_retries=0``,
``http_client=...``; for google, keys of ``http_options`` are merged into llmreg's).

A setting the registry leaves unset (no ``baseUrl``, no ``timeout``) is not passed, so the SDK's
own default applies, including the environment variables the SDK reads for it
(``OPENAI_BASE_URL``, ``ANTHROPIC_BASE_URL``, ``CO_API_URL``, ``GOOGLE_GEMINI_BASE_URL``). The
API key is always passed, so an SDK never falls back to a key from the environment.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, Protocol

from ..domain import Provider
from ..errors import LlmregError


class ClientConfig(Protocol):
    """What a client is made of: a :class:`~llmreg.runtime.ResolvedConfig`."""

    @property
    def product(self) -> str: ...
    @property
    def env(self) -> str: ...
    @property
    def agent(self) -> str | None: ...
    @property
    def model_tag(self) -> str: ...
    @property
    def provider(self) -> Provider: ...
    @property
    def base_url(self) -> str | None: ...
    @property
    def timeout(self) -> int | None: ...
    @property
    def api_key(self) -> str | None: ...


NO_KEY_PLACEHOLDER = "llmreg-no-key"
"""Sent as the API key of a ``custom`` model env that has none: the OpenAI SDK refuses to build
a client without a key, and passing ``None`` would make it send ``$OPENAI_API_KEY`` (a real
OpenAI key) to the custom endpoint. Servers without authentication ignore it."""

_SDKS: dict[Provider, tuple[str, str, str]] = {
    # provider: (module, extra, what to call it in an error)
    "openai": ("openai", "openai", "OpenAI"),
    "custom": ("openai", "openai", "OpenAI"),
    "anthropic": ("anthropic", "anthropic", "Anthropic"),
    "google": ("google.genai", "google", "Google Gen AI"),
    "cohere": ("cohere", "cohere", "Cohere"),
}


def _sdk(cfg: ClientConfig) -> ModuleType:
    module, extra, name = _SDKS[cfg.provider]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing != module and not module.startswith(missing + "."):
            raise  # the SDK is there but one of its own dependencies is broken
        raise LlmregError(
            f"provider '{cfg.provider}' of {_what(cfg)} needs the {name} SDK, which is not "
            f"installed: pip install 'llmreg[{extra}]'"
        ) from None


def _what(cfg: ClientConfig) -> str:
    target = f"agent '{cfg.agent}'" if cfg.agent else f"model '{cfg.model_tag}'"
    return f"{target} ({cfg.product}/{cfg.env})"


def _key(cfg: ClientConfig) -> str:
    key = cfg.api_key
    if key is not None:
        return key
    if cfg.provider == "custom":
        return NO_KEY_PLACEHOLDER
    raise LlmregError(
        f"{_what(cfg)} has no opened API key for provider '{cfg.provider}': resolve it with "
        "private_key= (the environment's private key)"
    )


def _seconds(cfg: ClientConfig) -> dict[str, Any]:
    return {} if cfg.timeout is None else {"timeout": cfg.timeout / 1000}


def _base_url(cfg: ClientConfig) -> dict[str, Any]:
    return {} if cfg.base_url is None else {"base_url": cfg.base_url}


def _openai(cfg: ClientConfig, sdk: ModuleType, is_async: bool, options: Mapping[str, Any]) -> Any:
    cls = sdk.AsyncOpenAI if is_async else sdk.OpenAI
    return cls(**{"api_key": _key(cfg), **_base_url(cfg), **_seconds(cfg), **options})


def _anthropic(
    cfg: ClientConfig, sdk: ModuleType, is_async: bool, options: Mapping[str, Any]
) -> Any:
    cls = sdk.AsyncAnthropic if is_async else sdk.Anthropic
    return cls(**{"api_key": _key(cfg), **_base_url(cfg), **_seconds(cfg), **options})


def _cohere(cfg: ClientConfig, sdk: ModuleType, is_async: bool, options: Mapping[str, Any]) -> Any:
    cls = sdk.AsyncClientV2 if is_async else sdk.ClientV2
    return cls(**{"api_key": _key(cfg), **_base_url(cfg), **_seconds(cfg), **options})


def _google(cfg: ClientConfig, sdk: ModuleType, is_async: bool, options: Mapping[str, Any]) -> Any:
    """``google.genai.Client`` on the Gemini Developer API (``vertexai=False``: the registry
    holds an API key); base URL and timeout (milliseconds) travel in ``http_options``."""
    http: dict[str, Any] = {}
    if cfg.base_url is not None:
        http["base_url"] = cfg.base_url
    if cfg.timeout is not None:
        http["timeout"] = cfg.timeout
    rest = dict(options)
    given = rest.pop("http_options", None)
    if given is not None:
        if not isinstance(given, Mapping):  # an HttpOptions model
            given = given.model_dump(exclude_none=True)
        http.update(given)
    client = sdk.Client(
        **{"api_key": _key(cfg), "vertexai": False, "http_options": http or None, **rest}
    )
    return client.aio if is_async else client


_Factory = Callable[[ClientConfig, ModuleType, bool, Mapping[str, Any]], Any]

_FACTORIES: dict[Provider, _Factory] = {
    "openai": _openai,
    "custom": _openai,
    "anthropic": _anthropic,
    "google": _google,
    "cohere": _cohere,
}


def make_client(cfg: ClientConfig, *, is_async: bool, options: Mapping[str, Any]) -> Any:
    """The SDK client for ``cfg`` (see the module docstring); LlmregError naming the extra to
    install when the provider's SDK is missing."""
    sdk = _sdk(cfg)
    return _FACTORIES[cfg.provider](cfg, sdk, is_async, options)


__all__ = ["NO_KEY_PLACEHOLDER", "make_client"]
