"""The base of llmreg's dynamic providers: store lookup, actor, and helpers shared by resources.

The serialized provider (``__provider`` in the state) holds no instance state: the store URL and
token are read in :meth:`StoreProvider.configure` from stack config (``llmreg:url`` /
``llmreg:token``), else ``LLMREG_URL`` / ``LLMREG_TOKEN``, else the embedded default store.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.dynamic import CheckFailure, ConfigureRequest, ResourceProvider

from ..errors import FieldProblem
from ..store.base import Store
from ..store.url import TOKEN_ENV, URL_ENV, default_url, open_store

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""How the engine passes a value not known yet during a preview (``pulumi.runtime.rpc.UNKNOWN``)."""

_STORES: dict[tuple[str, str | None], Store] = {}
_STORES_LOCK = threading.Lock()


def cached_store(url: str, token: str | None) -> Store:
    """One open store per (url, token) per provider process; stores are thread-safe."""
    with _STORES_LOCK:
        store = _STORES.get((url, token))
        if store is None:
            store = open_store(url, token)
            _STORES[(url, token)] = store
        return store


def _config_text(req: ConfigureRequest, key: str) -> str | None:
    value = req.config.get(key)
    return value if isinstance(value, str) and value else None


class StoreProvider(ResourceProvider):
    """Shared base: finds the store when the engine configures the provider process."""

    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        # Set on the deserialized instance inside the provider process only; never pickled
        # into the state because configure runs after deserialization.
        self._url = _config_text(req, "llmreg:url")
        self._token = _config_text(req, "llmreg:token")

    def store(self) -> Store:
        url = getattr(self, "_url", None) or os.environ.get(URL_ENV) or default_url()
        token = getattr(self, "_token", None) or os.environ.get(TOKEN_ENV) or None
        return cached_store(url, token)

    def __init__(self) -> None:
        super().__init__()
        # The only state the serialized provider carries: who writes, for the audit history.
        # The engine tells the provider process its project (PULUMI_PROJECT) but not its stack.
        self._owner = _program_owner()

    def actor(self) -> str:
        """``pulumi:<project>/<stack>`` as the audit history's actor."""
        owner = getattr(self, "_owner", None)
        if isinstance(owner, str) and owner:
            return owner
        return f"pulumi:{os.environ.get('PULUMI_PROJECT') or 'unknown'}/unknown"


def _program_owner() -> str | None:
    try:
        import pulumi

        return f"pulumi:{pulumi.get_project()}/{pulumi.get_stack()}"
    except Exception:  # not inside a Pulumi program (e.g. a unit test)
        return None


# -- helpers on property bags ---------------------------------------------------------------


def is_unknown(value: object) -> bool:
    """True if ``value`` is, or contains, a value the engine does not know yet."""
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, Mapping):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(is_unknown(v) for v in value)
    return False


def unknown_paths(value: object, prefix: str = "") -> list[str]:
    """camelCase paths (``envs[0].baseUrl``) of every unknown value inside ``value``."""
    if isinstance(value, str) and value == UNKNOWN:
        return [prefix]
    out: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            out += unknown_paths(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            out += unknown_paths(v, f"{prefix}[{i}]")
    return out


def under(path: str, prefixes: Iterable[str]) -> bool:
    """True if ``path`` is one of ``prefixes`` or inside one of them."""
    return any(
        path == p or path.startswith((p + ".", p + "[")) or p.startswith((path + ".", path + "["))
        for p in prefixes
    )


def drop_none(value: Any) -> Any:
    """A copy without None values in mappings (the registry leaves unset fields out)."""
    if isinstance(value, Mapping):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [drop_none(v) for v in value]
    return value


def _failure(problem: FieldProblem) -> CheckFailure:
    # The engine prints "property <p> value {<inputs[p]>} has a problem: <reason>" for a
    # top-level property, so nested paths (and the secret apiKeys) go into the reason instead.
    path = problem.path
    if path and path.isidentifier() and path != "apiKeys":
        return CheckFailure(path, problem.message)
    return CheckFailure("", f"{path}: {problem.message}" if path else problem.message)


def failures(problems: Iterable[FieldProblem], skip: Iterable[str] = ()) -> list[CheckFailure]:
    """One CheckFailure per problem, leaving out problems about values not known yet."""
    skipped = list(skip)
    return [_failure(p) for p in problems if not (skipped and under(p.path, skipped))]


def ints(value: Any) -> Any:
    """The engine sends every number as a float: make integral ones ints again (recursively),
    so strict integer fields (maxTokens, timeout) validate; 1 == 1.0 for every float field."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: ints(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [ints(v) for v in value]
    return value


def changed_keys(
    olds: Mapping[str, Any], news: Mapping[str, Any], keys: Iterable[str]
) -> list[str]:
    """The keys whose (None-normalized) values differ; unknown new values count as changed."""
    return [
        k
        for k in keys
        if is_unknown(news.get(k)) or drop_none(olds.get(k)) != drop_none(news.get(k))
    ]
