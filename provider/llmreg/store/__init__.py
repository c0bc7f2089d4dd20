"""The registry store: one interface, reached by URL (see ``open_store``)."""

from .base import (
    RECORD_TYPES,
    Action,
    AnyRecord,
    AuditEntry,
    Kind,
    Store,
    Stored,
    TokenInfo,
    TokenScope,
    TokenStore,
    describe,
    kind_of,
    product_of,
)
from .url import default_db_path, default_url, open_store

__all__ = [
    "RECORD_TYPES",
    "Action",
    "AnyRecord",
    "AuditEntry",
    "Kind",
    "Store",
    "Stored",
    "TokenInfo",
    "TokenScope",
    "TokenStore",
    "default_db_path",
    "default_url",
    "describe",
    "kind_of",
    "open_store",
    "product_of",
]
