"""The SQL store's tables, as SQLAlchemy Core metadata (the migrations create them).

Keep in step with ``migrations/versions/``: a test compares the two (Alembic's autogenerate
comparison: tables, columns, types, indexes), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from .._compat import UTC


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no zone, so it stores naive UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

records = sa.Table(
    "records",
    metadata,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("product", sa.String(64), primary_key=True),
    sa.Column("tag", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("product", sa.String(64), nullable=False),
    sa.Column("tag", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("changed_fields", sa.Text, nullable=False),
    sa.Index("ix_audit_product", "product", "id"),
    sa.Index("ix_audit_record", "kind", "product", "tag", "id"),
)

idempotency = sa.Table(
    "idempotency",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("product", sa.String(64), nullable=False),
    sa.Column("tag", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("body_hash", sa.String(64), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_idempotency_created_at", "created_at"),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("product", sa.String(64), nullable=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False),
)

rate_limits = sa.Table(
    "rate_limits",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("window_start", sa.BigInteger, primary_key=True),
    sa.Column("hits", sa.Integer, nullable=False),
    sa.Index("ix_rate_limits_window_start", "window_start"),
)
"""Fixed-window request counters of ``llmreg serve`` (``SqlStore.count_request``)."""
