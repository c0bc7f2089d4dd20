"""Choosing a store by URL; nothing heavy is imported until a store of that kind is used."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from ..errors import LlmregError
from ..settings import HOME, TOKEN, URL
from .base import Store


def default_db_path() -> Path:
    """The embedded registry: ``$LLMREG_HOME/registry.db``, else
    ``${XDG_DATA_HOME:-~/.local/share}/llmreg/registry.db``."""
    home = HOME.get()
    if home:
        return Path(home) / "registry.db"
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "llmreg" / "registry.db"


def default_url() -> str:
    return URL.get() or f"sqlite:///{default_db_path()}"


def open_store(
    url: str | None = None, token: str | None = None, *, retry_seconds: float | None = None
) -> Store:
    """Open the store at ``url`` (default: ``$LLMREG_URL``, else the embedded SQLite file).

    ``sqlite:///path`` and ``postgresql://...`` open the SQL store directly;
    ``http(s)://...`` talks to a registry server with ``token`` (default ``$LLMREG_TOKEN``),
    retrying for ``retry_seconds`` (default ``$LLMREG_RETRY_SECONDS``).
    """
    url = url or default_url()
    if url.startswith(("http://", "https://")):
        from .http import HttpStore, RetryPolicy

        return HttpStore(
            url,
            token if token is not None else TOKEN.get(),
            retry=RetryPolicy.from_settings(retry_seconds),
        )
    if url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
        from .sql import SqlStore

        return SqlStore(url)
    raise LlmregError(
        f"unsupported store URL {url!r}: use sqlite:///path, postgresql://... or http(s)://..."
    )


_SHARED: dict[tuple[str, str | None, float | None], Store] = {}
_SHARED_LOCK = threading.Lock()


def shared_store(
    url: str | None = None, token: str | None = None, *, retry_seconds: float | None = None
) -> Store:
    """One open store per (url, token, retry budget) per process, for callers that keep no
    store of their own (the Pulumi providers, the runtime). Stores are thread-safe and
    stay open for the life of the process."""
    url = url or default_url()
    if token is None and url.startswith(("http://", "https://")):
        token = TOKEN.get()
    key = (url, token, retry_seconds)
    with _SHARED_LOCK:
        store = _SHARED.get(key)
        if store is None:
            store = open_store(url, token, retry_seconds=retry_seconds)
            _SHARED[key] = store
        return store
