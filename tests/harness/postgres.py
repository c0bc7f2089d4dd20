"""pytest fixtures for tests that need a real PostgreSQL server.

The server is the one named by ``LLMREG_TEST_PG_DSN`` (``make test`` starts one with
scripts/setup-postgres and sets it). Each fixture creates its own database there and drops it
afterwards. Without the variable the tests fail (never skip): a skipped PostgreSQL test proves
nothing.

Register them with ``pytest_plugins = ["tests.harness.postgres"]`` (or import the fixtures).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest

DSN_ENV = "LLMREG_TEST_PG_DSN"

__all__ = [
    "DSN_ENV",
    "fresh_postgres_url",
    "postgres_database",
    "postgres_dsn",
    "postgres_url",
    "require_postgres_dsn",
]


def require_postgres_dsn() -> str:
    """The server's DSN, or fail the calling test saying how to get one."""
    dsn = os.environ.get(DSN_ENV)
    if not dsn:
        pytest.fail(
            f"no PostgreSQL server: set {DSN_ENV} (scripts/setup-postgres starts one and prints "
            "it; `make test` does both)",
            pytrace=False,
        )
    return dsn


def with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


@contextmanager
def postgres_database(dsn: str, prefix: str = "llmreg_test") -> Iterator[str]:
    """Create a fresh database on the server of ``dsn``; yield its URL; drop it on exit."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        pytest.fail(f"cannot connect to PostgreSQL at {DSN_ENV}: {exc}", pytrace=False)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(dsn, name)
    finally:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """The DSN of the test server (its maintenance database)."""
    return require_postgres_dsn()


@pytest.fixture(scope="session")
def postgres_url(postgres_dsn: str) -> Iterator[str]:
    """A database of this test session (fresh at its start, dropped at its end)."""
    with postgres_database(postgres_dsn) as url:
        yield url


@pytest.fixture
def fresh_postgres_url(postgres_dsn: str) -> Iterator[str]:
    """A database of this test alone."""
    with postgres_database(postgres_dsn) as url:
        yield url
