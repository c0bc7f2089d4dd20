"""The schema: the migrations and the metadata in ``_sql_schema`` describe the same tables,
columns, types and indexes on SQLite and PostgreSQL, and an existing database at revision 0001
is upgraded in place with its records kept."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from llmreg.store import _sql_engine
from llmreg.store._sql_schema import metadata
from llmreg.store.base import Kind
from llmreg.store.sql import SqlStore

from . import records as r


def _config(conn: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_sql_engine.MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    return config


def test_head_is_the_newest_migration_and_every_one_is_known() -> None:
    config = Config()
    config.set_main_option("script_location", str(_sql_engine.MIGRATIONS_DIR))
    scripts = ScriptDirectory.from_config(config)
    assert scripts.get_current_head() == _sql_engine.HEAD
    revisions = {s.revision for s in scripts.walk_revisions()}
    assert revisions == set(_sql_engine.KNOWN_REVISIONS)


def test_migrations_and_metadata_agree(fresh_sql_url: str) -> None:
    with SqlStore(fresh_sql_url) as store, store._engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_a_database_at_0001_is_upgraded_keeping_its_records(fresh_sql_url: str) -> None:
    engine = _sql_engine.create(_sql_engine.normalize_url(fresh_sql_url))
    try:
        with engine.connect() as conn:
            conn.execution_options(**{_sql_engine.WRITE_OPTION: True})
            with conn.begin():
                command.upgrade(_config(conn), "0001")
            with conn.begin():
                assert _sql_engine.current_revision(conn) == "0001"
                assert not sa.inspect(conn).has_table("rate_limits")
                product = r.product("old")
                conn.execute(
                    sa.text(
                        "INSERT INTO records (kind, product, tag, version, body, updated_at, "
                        "updated_by) VALUES ('products', 'old', 'old', 1, :body, :at, 'test')"
                    ),
                    {
                        "body": product.model_dump_json(by_alias=True, exclude_none=True),
                        "at": "2026-01-01 00:00:00",
                    },
                )
    finally:
        engine.dispose()
    with SqlStore(fresh_sql_url) as store:  # opening migrates to HEAD
        assert store.get(Kind.PRODUCT, "old", "old").record == r.product("old")
        assert store.count_request("addr:127.0.0.1", 0) == 1
        assert store.count_request("addr:127.0.0.1", 0) == 2
        assert store.forget_requests(10) == 1
        with store._engine.connect() as conn:
            assert _sql_engine.current_revision(conn) == _sql_engine.HEAD
