"""Records parsed from their stored rows, shared by every SQL store of the process.

A stored JSON text always parses to the same (immutable) record, so an entry never goes stale:
a changed record has a new text (and version). Reading an unchanged record then costs a query
but no JSON parsing or validation.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any, NamedTuple

from ..domain.common import STORED
from ._sql_base import utc
from .base import RECORD_TYPES, AnyRecord, Kind, Stored

RECORD_CACHE_BYTES = 32 * 1024 * 1024
"""Stored JSON text held by the cache of parsed records (least recently used first out)."""
ROW_CACHE_SIZE = 4096
"""Rows (with their version and write metadata) held as ready ``Stored`` values."""

RECORD_COLUMNS = "kind, product, tag, version, body, updated_at, updated_by"
"""The columns of a raw records row, in the order :meth:`ParsedRows.stored_of_raw` reads."""


class Row(NamedTuple):
    """A records row: read through SQLAlchemy, or through the DBAPI directly (hot reads)."""

    kind: str
    product: str
    tag: str
    version: int
    body: str
    updated_at: datetime
    updated_by: str


class ParsedRows:
    """Two bounded LRU levels: the record of each (kind, JSON text), and the ``Stored`` of each
    raw row (the same record at the same version, written at the same time by the same actor).
    """

    def __init__(self, max_bytes: int = RECORD_CACHE_BYTES, max_rows: int = ROW_CACHE_SIZE) -> None:
        self.max_bytes = max_bytes
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._records: OrderedDict[tuple[str, str], AnyRecord] = OrderedDict()
        self._bytes = 0
        self._rows: OrderedDict[tuple[Any, ...], Stored[AnyRecord]] = OrderedDict()

    def record(self, kind: Kind, body: str) -> AnyRecord:
        """The record of the stored JSON text ``body``."""
        key = (Kind(kind).value, body)
        with self._lock:
            found = self._records.get(key)
            if found is not None:
                self._records.move_to_end(key)
                return found
        record = RECORD_TYPES[Kind(kind)].model_validate(json.loads(body), context={STORED: True})
        with self._lock:
            if key not in self._records:
                self._records[key] = record
                self._bytes += len(body)
                while self._bytes > self.max_bytes and self._records:
                    (_, text), _ = self._records.popitem(last=False)
                    self._bytes -= len(text)
        return record

    def stored(self, row: Row | Any) -> Stored[AnyRecord]:
        """The ``Stored`` of a records row (a SQLAlchemy row or a :class:`Row`)."""
        return Stored[AnyRecord].model_construct(
            record=self.record(Kind(row.kind), row.body),
            version=row.version,
            updated_at=row.updated_at,
            updated_by=row.updated_by,
        )

    def stored_of_raw(self, raw: tuple[Any, ...]) -> Stored[AnyRecord]:
        """The ``Stored`` of a raw DBAPI row (:data:`RECORD_COLUMNS`), shared while the row is
        the same."""
        with self._lock:
            found = self._rows.get(raw)
            if found is not None:
                self._rows.move_to_end(raw)
                return found
        stored = self.stored(Row(raw[0], raw[1], raw[2], raw[3], raw[4], utc(raw[5]), raw[6]))
        with self._lock:
            self._rows[raw] = stored
            while len(self._rows) > self.max_rows:
                self._rows.popitem(last=False)
        return stored


PARSED = ParsedRows()
"""The process's parsed rows (stores on one URL share an engine, and their records too)."""
