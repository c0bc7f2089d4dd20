"""Choosing a store by URL; nothing heavy is imported until a store of that kind is used."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import LlmregError
from .base import Store

URL_ENV = "LLMREG_URL"
TOKEN_ENV = "LLMREG_TOKEN"  # noqa: S105 - the name of a variable, not a secret
HOME_ENV = "LLMREG_HOME"


def default_db_path() -> Path:
    """The embedded registry: ``$LLMREG_HOME/registry.db``, else
    ``${XDG_DATA_HOME:-~/.local/share}/llmreg/registry.db``."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / "registry.db"
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "llmreg" / "registry.db"


def default_url() -> str:
    return os.environ.get(URL_ENV) or f"sqlite:///{default_db_path()}"


def open_store(url: str | None = None, token: str | None = None) -> Store:
    """Open the store at ``url`` (default: ``$LLMREG_URL``, else the embedded SQLite file).

    ``sqlite:///path`` and ``postgresql://...`` open the SQL store directly;
    ``http(s)://...`` talks to a registry server with ``token`` (default ``$LLMREG_TOKEN``).
    """
    url = url or default_url()
    if url.startswith(("http://", "https://")):
        from .http import HttpStore

        return HttpStore(url, token if token is not None else os.environ.get(TOKEN_ENV))
    if url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
        from .sql import SqlStore

        return SqlStore(url)
    raise LlmregError(
        f"unsupported store URL {url!r}: use sqlite:///path, postgresql://... or http(s)://..."
    )
