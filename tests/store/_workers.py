"""Functions run in child processes by the multi-process store tests (spawned, not forked)."""

from __future__ import annotations

import time

from llmreg.errors import Conflict
from llmreg.store.base import Kind
from llmreg.store.sql import SqlStore


def increment(url: str, product: str, tag: str, times: int) -> int:
    """Add 1 to the model's maxTokens ``times`` times, read-modify-write, retrying conflicts.

    Returns how many conflicts it had to retry (proof that the processes really raced).
    """
    store = SqlStore(url)
    conflicts = 0
    try:
        for _ in range(times):
            while True:
                seen = store.get(Kind.MODEL, product, tag)
                wire = seen.record.to_wire()
                wire["maxTokens"] = int(wire["maxTokens"]) + 1  # type: ignore[call-overload]
                record = type(seen.record).model_validate(wire)
                try:
                    store.put(record, expected_version=seen.version, actor="worker")
                    break
                except Conflict:
                    conflicts += 1
                    time.sleep(0.001)
    finally:
        store.close()
    return conflicts


def open_and_count(url: str) -> int:
    """Open a (possibly new) database, migrating it; return the number of schema rows."""
    import sqlalchemy as sa

    store = SqlStore(url)
    try:
        with store._engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one())
    finally:
        store.close()
