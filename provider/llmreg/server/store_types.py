"""The store the server runs on: a Store that also manages tokens (the SQL store)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..store.base import AnyRecord, Kind, Store, Stored, TokenStore


class RegistryStore(Store, TokenStore, Protocol):
    """``llmreg.store.sql.SqlStore`` satisfies this: a Store with tokens, reads of several
    records in one statement, and the rate-limit counters."""

    def get_many(
        self, keys: Sequence[tuple[Kind, str, str]]
    ) -> dict[tuple[Kind, str, str], Stored[AnyRecord]]: ...

    async def get_many_async(
        self, keys: Sequence[tuple[Kind, str, str]]
    ) -> dict[tuple[Kind, str, str], Stored[AnyRecord]]: ...

    async def close_async_reads(self) -> None: ...

    def count_request(self, key: str, window_start: int) -> int: ...

    def forget_requests(self, before: int) -> int: ...
