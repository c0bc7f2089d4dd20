"""Where the resources' records go: the store of each registry a program names.

The store URL, token and retry budget come from the provider's configuration (stack config
``llmreg:url``, ``llmreg:token``, ``llmreg:retrySeconds``; named registries in
``llmreg:registries``), else from the environment (``LLMREG_URL``, ...), else the embedded store.
Nothing of it is ever part of a resource's properties or of the serialized provider.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import LlmregError
from ..settings import TOKEN, URL
from ..store.base import Store
from ..store.url import shared_store
from .props import UNKNOWN

if TYPE_CHECKING:  # httpx only when an http(s) registry is used
    from ..store.http import WhoAmI

CONFIG_KEYS = ("url", "token", "retrySeconds", "registries")
"""The provider's configuration keys (stack config ``llmreg:<key>``)."""


@dataclass(frozen=True)
class RegistryAddress:
    """How to reach one registry."""

    url: str | None
    token: str | None
    retry_seconds: float | None

    def store(self) -> Store:
        return shared_store(self.url, self.token, retry_seconds=self.retry_seconds)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _seconds(value: Any, where: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds > 0:
        raise LlmregError(f"{where} must be a number of seconds > 0, not {value!r}")
    return seconds


class DeployContext:
    """The provider's configuration, read once per provider process.

    ``config`` maps the keys of :data:`CONFIG_KEYS` to their values (without the ``llmreg:``
    namespace); structured values may arrive as JSON text.
    """

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        config = dict(config or {})
        self._default = RegistryAddress(
            url=_text(config.get("url")) or URL.get(),
            token=_text(config.get("token")) or TOKEN.get(),
            retry_seconds=_seconds(config.get("retrySeconds"), "llmreg:retrySeconds"),
        )
        raw = config.get("registries")
        if isinstance(raw, str) and raw:
            try:
                raw = json.loads(raw)
            except ValueError:
                raise LlmregError(
                    "llmreg:registries must be an object: name -> {url, token, retrySeconds}"
                ) from None
        self._named: dict[str, RegistryAddress] = {}
        for name, entry in (raw or {}).items():
            where = f"llmreg:registries.{name}"
            if not isinstance(entry, Mapping) or not _text(entry.get("url")):
                raise LlmregError(f"{where} needs a url (and a token for an http(s) registry)")
            self._named[name] = RegistryAddress(
                url=_text(entry.get("url")),
                token=_text(entry.get("token")),
                retry_seconds=_seconds(entry.get("retrySeconds"), f"{where}.retrySeconds"),
            )

    def registry(self, name: str | None) -> RegistryAddress:
        """The default registry, or the one named ``name`` in ``llmreg:registries``."""
        if not name:
            return self._default
        found = self._named.get(name)
        if found is None:
            known = ", ".join(sorted(self._named)) or "none"
            raise LlmregError(
                f"registry '{name}' is not configured (configured: {known}): run "
                f"`pulumi config set --path llmreg:registries.{name}.url <url>` and, for a "
                f"registry server, `pulumi config set --secret --path "
                f"llmreg:registries.{name}.token <token>`"
            )
        return found

    def store(self, name: str | None = None) -> Store:
        return self.registry(name).store()

    def require_write(self, props: Mapping[str, Any], product_key: str) -> None:
        """Refuse, in a preview already, a write that the registry would refuse for the
        token's scope (a read token, another product's token). The registry is asked what
        the token may do once per provider process; a registry that cannot tell (an embedded
        store, no answer) is left for the write itself to report."""
        product = props.get(product_key)
        if not isinstance(product, str) or not product or product == UNKNOWN:
            return
        name = props.get("registry")
        name = name if isinstance(name, str) and name else None
        registry = self.registry(name)
        caller = _whoami(registry)
        refusal = caller.write_refusal(product) if caller is not None else None
        if refusal is not None:
            where = f"llmreg:registries.{name}.token" if name else "llmreg:token (or LLMREG_TOKEN)"
            raise LlmregError(f"{refusal}: set {where} to one")


_CALLERS: dict[tuple[str, str], WhoAmI | None] = {}
"""What each registry said of a token, by (URL, SHA-256 of the token): asked once a process."""


def _whoami(registry: RegistryAddress) -> WhoAmI | None:
    if not registry.url or not registry.token or not registry.url.startswith(("http:", "https:")):
        return None
    key = (registry.url, hashlib.sha256(registry.token.encode()).hexdigest())
    if key not in _CALLERS:
        from ..store.http import HttpStore

        store = registry.store()
        try:
            _CALLERS[key] = store.whoami() if isinstance(store, HttpStore) else None
        except LlmregError:
            _CALLERS[key] = None  # an older registry, a refused token, no answer: writes tell
    return _CALLERS[key]


def actor_of(owner: str | None) -> str:
    """The audit history's actor for a resource URN: ``pulumi:<project>/<stack>``."""
    if owner and owner.startswith("urn:pulumi:"):
        parts = owner.split("::")
        stack = parts[0].removeprefix("urn:pulumi:")
        project = parts[1] if len(parts) > 1 else "unknown"
        return f"pulumi:{project}/{stack}"
    return "pulumi:unknown/unknown"


def stack_prefix(owner: str | None) -> str | None:
    """``urn:pulumi:<stack>::<project>::``: the prefix of every URN of the same stack."""
    if not owner or not owner.startswith("urn:pulumi:"):
        return None
    parts = owner.split("::")
    return "::".join(parts[:2]) + "::" if len(parts) > 2 else None
