"""What every part of the SQL store shares: the engine, one read statement, one write
transaction, and the limits of the key and text columns."""

from __future__ import annotations

import builtins
import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from typing_extensions import Self

from .._compat import UTC
from ..domain.text import text_problem
from ..errors import FieldProblem, StaleVersion, ValidationFailed
from . import _sql_engine as engines

T = TypeVar("T")

KEY_LENGTH = 64
"""Characters of the product and tag columns (a slug has at most 63)."""
TEXT_LENGTH = 200
"""Characters of the actor, token name and idempotency key columns."""


def canonical(wire: dict[str, Any]) -> str:
    return json.dumps(wire, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC)


def key_ok(*values: object) -> bool:
    """Whether a record key could match: short enough for its column, storable text."""
    return all(
        isinstance(v, str) and len(v) <= KEY_LENGTH and text_problem(v) is None for v in values
    )


def text_field(what: str, path: str, value: object, *, required: bool = True) -> None:
    """Refuse a free-text argument that the text columns cannot hold."""
    problem: str | None = None
    if not isinstance(value, str):
        problem = "must be text"
    elif required and not value:
        problem = "is required"
    elif len(value) > TEXT_LENGTH:
        problem = f"is {len(value)} characters long: at most {TEXT_LENGTH} fit"
    else:
        problem = text_problem(value)
    if problem is not None:
        raise ValidationFailed(what, [FieldProblem(path, problem)])


def utc(value: Any) -> datetime:
    """A timestamp as the DBAPI returns it (SQLite: text of naive UTC) -> aware UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def stale(name: str, expected: int, found: int | str | None) -> StaleVersion:
    registry = "none: it was deleted" if found is None else found
    return StaleVersion(
        f"{name} changed since it was read (expected version {expected}, registry has "
        f"{registry}): read it again and retry"
    )


def names(label: str, tags: list[str]) -> str:
    return f"{label} " + ", ".join(f"'{t}'" for t in tags)


class SqlBase:
    """The engine of one ``sqlite:///path`` or ``postgresql://...`` URL (shared by the stores
    of a process that open the same URL) and the statements run on it."""

    def __init__(self, url: str) -> None:
        self.url = engines.normalize_url(url)
        self._engine = engines.ENGINES.acquire(self.url)
        self._read_options = engines.read_options(self._engine.dialect.name)
        self._mark = "?" if self.dialect == "sqlite" else "%s"
        """The DBAPI's parameter mark, for the raw statements (``_raw_rows``)."""
        self._closed = False

    def __repr__(self) -> str:
        return f"SqlStore({self._engine.url.render_as_string(hide_password=True)!r})"

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            engines.ENGINES.release(self.url)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- transactions -----------------------------------------------------------------------

    def _rows(
        self, statement: sa.Executable, params: dict[str, Any] | None = None
    ) -> builtins.list[Row[Any]]:
        """Run one read statement (no transaction round trips; retried once on a dropped
        connection)."""

        def attempt() -> builtins.list[Row[Any]]:
            with self._engine.connect() as conn:
                conn.execution_options(**self._read_options)
                return builtins.list(conn.execute(statement, params or {}).all())

        return engines.retry_disconnected(attempt)

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, retrying it whole on transient failures."""

        def attempt() -> T:
            with self._engine.connect() as conn:
                conn.execution_options(**{engines.WRITE_OPTION: True})
                with conn.begin():
                    return work(conn)

        return engines.retry_locked(attempt)

    def _raw_rows(self, sql: str, params: tuple[Any, ...]) -> builtins.list[tuple[Any, ...]]:
        """Run one read statement through the pooled DBAPI connection, without SQLAlchemy's
        statement machinery (a tenth of its cost: the resolved endpoint and token checks run
        on every request). PostgreSQL: autocommit for the statement, so no BEGIN/ROLLBACK."""
        postgres = self.dialect == "postgresql"

        def attempt() -> builtins.list[tuple[Any, ...]]:
            conn = self._engine.raw_connection()
            try:
                driver = conn.driver_connection
                if postgres:
                    driver.autocommit = True  # type: ignore[union-attr]
                try:
                    cursor = conn.cursor()
                    try:
                        cursor.execute(sql, params)
                        return builtins.list(cursor.fetchall())
                    finally:
                        cursor.close()
                finally:
                    if postgres:
                        driver.autocommit = False  # type: ignore[union-attr]
            finally:
                conn.close()

        return engines.retry_disconnected(attempt)


__all__ = [
    "KEY_LENGTH",
    "TEXT_LENGTH",
    "SqlBase",
    "canonical",
    "key_ok",
    "names",
    "sha256",
    "stale",
    "text_field",
    "utc",
    "utc_now",
]
