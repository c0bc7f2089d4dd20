"""The Store interface (design §4): products, models and agents with optimistic concurrency.

Three implementations are reached through ``llmreg.store.open_store(url)``: the SQL store
(embedded SQLite, or PostgreSQL), and the HTTP client of the registry server. They share one
contract test suite (tests/store/).
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from .._compat import StrEnum
from ..domain import AgentRecord, LlmModelRecord, ProductRecord, Record


class Kind(StrEnum):
    """A kind of record; its value is the collection name used in URLs and tables."""

    PRODUCT = "products"
    MODEL = "models"
    AGENT = "agents"


AnyRecord = ProductRecord | LlmModelRecord | AgentRecord

RECORD_TYPES: dict[Kind, type[AnyRecord]] = {
    Kind.PRODUCT: ProductRecord,
    Kind.MODEL: LlmModelRecord,
    Kind.AGENT: AgentRecord,
}


def kind_of(record: AnyRecord) -> Kind:
    return next(k for k, t in RECORD_TYPES.items() if isinstance(record, t))


def product_of(record: AnyRecord) -> str:
    """The product a record belongs to (a product belongs to itself)."""
    return record.tag if isinstance(record, ProductRecord) else record.product


def describe(kind: Kind, product: str, tag: str) -> str:
    """How errors name a record: ``product 'shop'`` or ``model 'shop/claude'``."""
    singular = {Kind.PRODUCT: "product", Kind.MODEL: "model", Kind.AGENT: "agent"}[kind]
    return f"{singular} '{tag}'" if kind is Kind.PRODUCT else f"{singular} '{product}/{tag}'"


R = TypeVar("R", bound=AnyRecord)


class Stored(BaseModel, Generic[R]):
    """A record with its concurrency version and last-write metadata (the HTTP body shape)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    record: R
    version: int = Field(ge=1)
    updated_at: datetime
    updated_by: str

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class AuditEntry(Record):
    """One write: who, when, what and which fields changed. Never a value, so never a secret."""

    id: int
    at: datetime
    actor: str
    action: Action
    kind: Kind
    product: str
    tag: str
    version: int
    changed_fields: list[str]


class TokenScope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class TokenInfo(Record):
    """A registry API token (its secret is shown once, at creation, and stored only hashed)."""

    id: str
    name: str
    scope: TokenScope
    product: str | None = None  # None only for admin tokens
    created_at: datetime
    revoked: bool = False


def check_expected_version(expected_version: int | None) -> None:
    """Reject an ``expected_version`` that ``Store.put`` gives no meaning to."""
    if expected_version is not None and expected_version < 0:
        raise ValueError("expected_version is None, 0 (create) or a version >= 1")


class Store(Protocol):
    """What every store offers. All methods are safe to call from several threads."""

    def get(self, kind: Kind, product: str, tag: str) -> Stored[AnyRecord]:
        """The current record; NotFound if there is none."""
        ...

    def list(self, kind: Kind, product: str | None = None) -> list[Stored[AnyRecord]]:
        """Records of ``kind``, of one product or (products only) all, ordered by tag."""
        ...

    def put(
        self,
        record: AnyRecord,
        *,
        expected_version: int | None,
        actor: str,
        idempotency_key: str | None = None,
    ) -> Stored[AnyRecord]:
        """Write ``record`` whole (full replacement: fields it leaves out are removed).

        ``expected_version``: 0 = create only (AlreadyExists if a *different* record is there,
        the existing one back if it is identical: creates are idempotent); n >= 1 = replace
        version n, else Conflict naming the record; None = unconditional upsert.
        A retried call with the same ``idempotency_key`` returns the first call's result and
        writes nothing. Referential rules: the product must exist, env slugs must be the
        product's, an agent's model must exist in the product.
        """
        ...

    def delete(
        self, kind: Kind, product: str, tag: str, *, expected_version: int | None = None, actor: str
    ) -> bool:
        """Delete a record; False if it was already missing. A product with models or agents,
        or a model that agents use, is not deleted (Conflict naming them)."""
        ...

    def history(
        self,
        *,
        product: str | None = None,
        kind: Kind | None = None,
        tag: str | None = None,
        limit: int = 100,
    ) -> builtins.list[AuditEntry]:
        """Audit entries, newest first, filtered by any of product/kind/tag."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class TokenAdmin(Protocol):
    """Issuing and revoking the registry server's API tokens: the SQL store on the server's
    database does it directly, the HTTP store through ``/v1/tokens`` with an admin token."""

    def create_token(
        self, name: str, scope: TokenScope, product: str | None
    ) -> tuple[TokenInfo, str]:
        """A new token and its secret (the only time the secret is seen)."""
        ...

    def revoke_token(self, token_id: str) -> bool:
        """False if there is no such token."""
        ...

    def list_tokens(self) -> builtins.list[TokenInfo]: ...


class TokenStore(TokenAdmin, Protocol):
    """What the registry server needs of its database: token admin plus verification."""

    def verify_token(self, secret: str) -> TokenInfo | None: ...


@runtime_checkable
class BatchWriter(Protocol):
    """A store that writes several records in one transaction (the SQL store)."""

    def put_all(self, records: builtins.list[AnyRecord], *, actor: str) -> None:
        """Upsert every record, or none of them."""
        ...


@runtime_checkable
class ResolvedSource(Protocol):
    """A store that resolves an agent server-side and revalidates with an ETag (the HTTP store).

    The payload's shape is documented in ``llmreg.server.routes.resolved``.
    """

    def get_resolved(
        self, product: str, agent: str, env: str, etag: str | None = None
    ) -> tuple[dict[str, Any] | None, str]:
        """``(payload, etag)``; ``(None, etag)`` when ``etag`` still matches (HTTP 304)."""
        ...
