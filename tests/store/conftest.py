"""Store backends for the contract suite: SQLite file, PostgreSQL database, HTTP registry.

``store`` is parametrized over all three; ``sql_store`` over the two SQL ones (for what only the
SQL store offers: tokens, export/import). Tests name their records with a unique product tag,
so backends that share a database across tests (PostgreSQL, HTTP) stay independent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmreg.store.sql import SqlStore
from tests.harness.postgres import fresh_postgres_url, postgres_dsn, postgres_url
from tests.harness.registry import running_registry

__all__ = ["fresh_postgres_url", "postgres_dsn", "postgres_url"]

BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    "http",
]


@pytest.fixture(scope="session")
def http_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One real ``llmreg serve`` on loopback over a SQLite file, for the whole session."""
    tmp = tmp_path_factory.mktemp("registry")
    with running_registry(tmp, f"sqlite:///{tmp / 'registry.db'}") as server:
        yield server


def _open(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if backend == "sqlite":
        return SqlStore(f"sqlite:///{tmp_path / 'store' / 'registry.db'}")
    if backend == "postgres":
        return SqlStore(request.getfixturevalue("postgres_url"))
    server = request.getfixturevalue("http_registry")
    from llmreg.store.http import HttpStore

    return HttpStore(server.url, server.admin_token)


def _opened(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    opened = _open(request.param, request, tmp_path)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A Store of each backend."""
    yield from _opened(request, tmp_path)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """The SQL store on SQLite and on PostgreSQL."""
    yield from _opened(request, tmp_path)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new, empty database (SQLite file or PostgreSQL database) of this test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh' / 'registry.db'}"
    return str(request.getfixturevalue("fresh_postgres_url"))
