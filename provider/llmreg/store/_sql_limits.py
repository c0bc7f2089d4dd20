"""The registry server's rate-limit counters: one row per client key and fixed window,
incremented atomically, so every process on one database shares them."""

from __future__ import annotations

from typing import Any

from ..domain.text import safe_text
from ._sql_base import TEXT_LENGTH, SqlBase
from ._sql_schema import rate_limits


class SqlRateLimits(SqlBase):
    """Request counters of ``llmreg serve`` (``llmreg.server.limits``)."""

    def count_request(self, key: str, window_start: int) -> int:
        """Count one request of ``key`` (e.g. ``token:<id>``, ``addr:<ip>``) in the fixed
        window that starts at ``window_start``; returns the window's count, this request
        included. One atomic upsert, so every process on the database shares the count."""
        key = safe_text(key)[:TEXT_LENGTH].replace("\x00", "?")
        # The dialect's INSERT ... ON CONFLICT, imported here: only the server counts requests,
        # and the PostgreSQL dialect costs a Pulumi provider process 0.1 s to import.
        insert: Any
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = (
            insert(rate_limits)
            .values(key=key, window_start=window_start, hits=1)
            .on_conflict_do_update(
                index_elements=[rate_limits.c.key, rate_limits.c.window_start],
                set_={"hits": rate_limits.c.hits + 1},
            )
            .returning(rate_limits.c.hits)
        )
        return int(self._write(lambda conn: conn.execute(statement).scalar_one()))

    def forget_requests(self, before: int) -> int:
        """Delete the counters of windows that started before ``before``; how many."""
        statement = rate_limits.delete().where(rate_limits.c.window_start < before)
        return int(self._write(lambda conn: conn.execute(statement).rowcount))
