"""The store the server runs on: a Store that also manages tokens (the SQL store)."""

from __future__ import annotations

from typing import Protocol

from ..store.base import Store, TokenStore


class RegistryStore(Store, TokenStore, Protocol):
    """``llmreg.store.sql.SqlStore`` satisfies this."""
