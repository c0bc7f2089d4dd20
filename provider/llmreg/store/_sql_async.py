"""Hot reads on PostgreSQL from an event loop, without a worker thread: a few psycopg
``AsyncConnection`` in autocommit per event loop, one statement at a time on each.

The registry server's resolved endpoint uses it (``SqlStore.get_many_async``): handing a read
to a worker thread costs more than the read itself, and running a blocking read on the event
loop would stall every request of the process while the database is slow. A connection that
fails is discarded and the statement runs once more on a new one; a second failure is raised as
SQLAlchemy's ``OperationalError``, like the synchronous reads' (the server answers 503).
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

import sqlalchemy as sa

POOL_SIZE = 4
"""Connections per event loop (each runs one statement at a time)."""


class _Pool:
    def __init__(self, conninfo: str, size: int) -> None:
        self.conninfo = conninfo
        self.size = size
        self.idle: list[Any] = []
        self.opened = 0
        self.freed = asyncio.Condition()

    async def acquire(self) -> Any:
        import psycopg

        async with self.freed:
            while not self.idle and self.opened >= self.size:
                await self.freed.wait()
            if self.idle:
                return self.idle.pop()
            self.opened += 1
        try:
            return await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        except BaseException:
            await self.discard(None)
            raise

    async def release(self, conn: Any) -> None:
        async with self.freed:
            self.idle.append(conn)
            self.freed.notify()

    async def discard(self, conn: Any) -> None:
        if conn is not None:
            with contextlib.suppress(Exception):  # it is being thrown away
                await conn.close()
        async with self.freed:
            self.opened -= 1
            self.freed.notify()


class AsyncReads:
    """Single read statements (``%s`` parameters) from the running event loop."""

    def __init__(self, conninfo: str, size: int = POOL_SIZE) -> None:
        self.conninfo = conninfo
        self.size = size
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pool] = (
            weakref.WeakKeyDictionary()
        )

    def _pool(self) -> _Pool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            pool = self._pools[loop] = _Pool(self.conninfo, self.size)
        return pool

    async def rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        import psycopg

        pool = self._pool()
        for attempt in (1, 2):
            try:
                conn = await pool.acquire()
            except psycopg.OperationalError as exc:  # the database refuses connections
                raise sa.exc.OperationalError(sql, None, exc) from None
            try:
                cursor = await conn.execute(sql, params)
                rows: list[tuple[Any, ...]] = await cursor.fetchall()
            except psycopg.OperationalError as exc:
                await pool.discard(conn)
                if attempt == 2:
                    raise sa.exc.OperationalError(sql, None, exc) from None
                continue
            except BaseException:
                await pool.discard(conn)
                raise
            await pool.release(conn)
            return rows
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        """Close the connections of the running loop's pool."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            for conn in pool.idle:
                await conn.close()
