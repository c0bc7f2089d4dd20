"""Fixtures of the runtime tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from llmreg.runtime import clear_cache
from llmreg.store.base import Store
from llmreg.store.http import HttpStore
from llmreg.store.sql import SqlStore
from tests.harness.registry import running_registry


@pytest.fixture(params=["sqlite", "http"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The embedded SQLite store, then the HTTP store of a real ``llmreg serve`` on loopback
    (its server on ``request.node.registry``); the runtime's cache cleared first."""
    clear_cache()
    db_url = f"sqlite:///{tmp_path / 'r.db'}"
    if request.param == "sqlite":
        s: Store = SqlStore(db_url)
        yield s
        s.close()
        return
    with (
        running_registry(tmp_path, db_url) as server,
        HttpStore(server.url, server.admin_token) as http,
    ):
        request.node.registry = server
        yield http
