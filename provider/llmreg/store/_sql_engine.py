"""Engines of the SQL store: SQLite tuned for many threads and processes, PostgreSQL via
psycopg 3, and the schema migration run when a database is first opened.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
import tenacity
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

from ..errors import LlmregError, StoreUnavailable

HEAD = "0002"
"""The newest migration in ``migrations/versions`` (a test checks they agree)."""
KNOWN_REVISIONS = ("0001", "0002")
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 0x6C6C_6D72_6567  # "llmreg": the advisory lock held while migrating
WRITE_OPTION = "llmreg_write"
"""Execution option: on SQLite, the transaction starts with BEGIN IMMEDIATE (a write lock)."""


def read_options(dialect: str) -> dict[str, Any]:
    """Execution options of a connection that runs single read statements, without
    BEGIN/ROLLBACK round trips: each statement reads one consistent snapshot on its own.

    SQLite: our ``begin`` listener emits no BEGIN (SQLAlchemy's AUTOCOMMIT would reset
    pysqlite's ``isolation_level`` when the connection returns to the pool); PostgreSQL:
    psycopg's autocommit, switched on the client only."""
    if dialect == "sqlite":
        return {"llmreg_read": True}
    return {"isolation_level": "AUTOCOMMIT"}


T = TypeVar("T")


def normalize_url(url: str) -> str:
    """``postgresql://`` means psycopg 3; relative SQLite paths become absolute."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:"):
        parsed = make_url(url)
        if not parsed.database or parsed.database == ":memory:":
            raise LlmregError(
                f"store URL {url!r} names no database file: use sqlite:////absolute/path.db"
            )
        return str(parsed.set(database=str(Path(parsed.database).absolute())))
    return url


def create(url: str) -> Engine:
    """A pooled engine for ``url`` (already normalized).

    PostgreSQL connections are not pinged on every checkout (a round trip per request): a
    connection that the server dropped fails its statement, SQLAlchemy then discards the pool's
    older connections, and :func:`retry_disconnected` runs a read again once.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            parsed, connect_args={"timeout": 30}, pool_size=8, max_overflow=16
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return sa.create_engine(parsed, pool_size=8, max_overflow=16, pool_recycle=3600)
    except ImportError as exc:
        raise LlmregError(
            f"a PostgreSQL store needs the psycopg driver ({exc.name or exc} is not installed): "
            "pip install 'llmreg[server]'"
        ) from None


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is too late to lock).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout = 30000")
        retry_locked(lambda: cursor.execute("PRAGMA journal_mode = WAL"))
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    options = conn.get_execution_options()
    if options.get("llmreg_read", False):
        return  # single statements, each in SQLite's own implicit read transaction
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE_OPTION, False) else "BEGIN")


def is_transient(exc: BaseException) -> bool:
    """A failure that a retry of the whole transaction may cure (lock timeouts, deadlocks,
    serialization failures, a unique key taken by a concurrent insert)."""
    text = str(getattr(exc, "orig", exc)).lower()
    if "database is locked" in text or "database table is locked" in text:
        return True
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return sqlstate in {"40001", "40P01", "23505", "55P03"}


_RETRY_LOCKED = tenacity.Retrying(
    retry=tenacity.retry_if_exception(is_transient),
    stop=tenacity.stop_after_attempt(8),
    wait=tenacity.wait_random_exponential(multiplier=0.01, max=0.5),
    reraise=True,
)


def is_disconnect(exc: BaseException) -> bool:
    """The database dropped the connection (SQLAlchemy has discarded it and its pool's peers)."""
    return isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated


def retry_disconnected(fn: Callable[[], T]) -> T:
    """Run a read ``fn``; once more if the connection turned out to be dead (a restarted
    database): the retry gets a fresh connection."""
    try:
        return fn()
    except sa.exc.DBAPIError as exc:
        if not is_disconnect(exc):
            raise
    return fn()


def retry_locked(fn: Callable[[], T]) -> T:
    """Run ``fn``; retry transient database failures (up to 8 attempts, a short, growing
    backoff with jitter), then raise the last one."""
    return _RETRY_LOCKED.copy()(fn)


def current_revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    value = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return None if value is None else str(value)


def migrate(engine: Engine) -> None:
    """Bring the schema to HEAD with Alembic, once, even with several processes opening."""
    try:
        with engine.connect() as conn:
            revision = current_revision(conn)
    except sa.exc.OperationalError as exc:
        raise StoreUnavailable(
            f"cannot open the registry database {engine.url.render_as_string()}: {exc.orig}"
        ) from None
    if revision == HEAD:
        return
    _check_known(revision, engine)

    def upgrade() -> None:
        with engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(
                        sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK}
                    )
                revision = current_revision(conn)
                _check_known(revision, engine)
                if revision != HEAD:
                    _alembic_upgrade(conn)

    retry_locked(upgrade)


def _check_known(revision: str | None, engine: Engine) -> None:
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise LlmregError(
            f"the registry database {engine.url.render_as_string()} has schema revision "
            f"{revision!r}, newer than this llmreg knows ({HEAD}): upgrade llmreg"
        )


def _alembic_upgrade(conn: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


class EngineCache:
    """One engine per URL per process, shared by every SqlStore opened on it.

    Counting references lets ``close()`` dispose the pool when the last store closes; after a
    fork the child starts afresh (pooled connections must not cross processes).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engines: dict[str, tuple[Engine, int]] = {}
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork)

    def acquire(self, url: str) -> Engine:
        with self._lock:
            entry = self._engines.get(url)
            if entry is not None:
                self._engines[url] = (entry[0], entry[1] + 1)
                return entry[0]
            engine = create(url)
            try:
                migrate(engine)
            except BaseException:
                engine.dispose()
                raise
            self._engines[url] = (engine, 1)
            return engine

    def release(self, url: str) -> None:
        with self._lock:
            entry = self._engines.get(url)
            if entry is None:
                return
            engine, refs = entry
            if refs > 1:
                self._engines[url] = (engine, refs - 1)
            else:
                del self._engines[url]
                engine.dispose()

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        for engine, _ in self._engines.values():
            engine.dispose(close=False)
        self._engines = {}


ENGINES = EngineCache()
