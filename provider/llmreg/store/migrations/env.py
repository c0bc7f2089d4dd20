"""Alembic environment of the SQL store: runs on the connection that SqlStore passes in.

The caller holds a transaction (SQLite ``BEGIN IMMEDIATE``, or PostgreSQL with an advisory
lock), so two processes opening a new database at once migrate it exactly once.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
