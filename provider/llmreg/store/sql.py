"""The SQL store: embedded SQLite (the default) or PostgreSQL, over SQLAlchemy 2 Core.

Each record is one row holding its camelCase wire JSON (sealed keys only, never plaintext) and a
version that every write bumps. Writes run in one transaction each: ``BEGIN IMMEDIATE`` on
SQLite (so read-check-write is atomic across threads and processes), row locks on PostgreSQL
(``SELECT ... FOR UPDATE`` on the record, ``FOR SHARE`` on what it refers to) plus a
conditional ``UPDATE ... WHERE version = :v``. The schema is migrated with Alembic on open.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from .._compat import UTC
from ..domain import AgentRecord, ProductRecord
from ..errors import (
    AlreadyExists,
    Conflict,
    FieldProblem,
    IdempotencyKeyReused,
    NotFound,
    StaleVersion,
    ValidationFailed,
)
from . import _sql_engine as engines
from ._sql_changes import changed_fields
from ._sql_schema import audit, idempotency, records, tokens
from .base import (
    RECORD_TYPES,
    Action,
    AnyRecord,
    AuditEntry,
    Kind,
    Stored,
    TokenInfo,
    TokenScope,
    check_expected_version,
    describe,
    kind_of,
    product_of,
)

T = TypeVar("T")

IDEMPOTENCY_TTL = timedelta(hours=24)
"""How long a retried write with the same idempotency key is recognised."""
TOKEN_PREFIX = "llmreg_"  # noqa: S105 (a prefix, not a secret)


def _canonical(wire: dict[str, Any]) -> str:
    return json.dumps(wire, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _stored(kind: Kind, row: Row[Any]) -> Stored[AnyRecord]:
    record = RECORD_TYPES[Kind(kind)].model_validate(json.loads(row.body))
    return Stored[AnyRecord](
        record=record, version=row.version, updated_at=row.updated_at, updated_by=row.updated_by
    )


def _record_key(kind: Kind, product: str, tag: str) -> sa.ColumnElement[bool]:
    return sa.and_(records.c.kind == kind.value, records.c.product == product, records.c.tag == tag)


def _stale(name: str, expected: int, found: int | str | None) -> StaleVersion:
    registry = "none: it was deleted" if found is None else found
    return StaleVersion(
        f"{name} changed since it was read (expected version {expected}, registry has "
        f"{registry}): read it again and retry"
    )


def _names(label: str, tags: list[str]) -> str:
    return f"{label} " + ", ".join(f"'{t}'" for t in tags)


class SqlStore:
    """``Store`` and ``TokenStore`` over ``sqlite:///path`` or ``postgresql://...``.

    Thread-safe; opening a second store on the same URL in a process reuses the engine.
    """

    def __init__(self, url: str) -> None:
        self.url = engines.normalize_url(url)
        self._engine = engines.ENGINES.acquire(self.url)
        self._closed = False

    def __repr__(self) -> str:
        return f"SqlStore({self._engine.url.render_as_string(hide_password=True)!r})"

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            engines.ENGINES.release(self.url)

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- transactions -----------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            yield conn

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, retrying it whole on transient failures."""

        def attempt() -> T:
            with self._engine.connect() as conn:
                conn.execution_options(**{engines.WRITE_OPTION: True})
                with conn.begin():
                    return work(conn)

        return engines.retry_locked(attempt)

    # -- reads ------------------------------------------------------------------------------

    def get(self, kind: Kind, product: str, tag: str) -> Stored[AnyRecord]:
        kind = Kind(kind)
        with self._read() as conn:
            row = conn.execute(sa.select(records).where(_record_key(kind, product, tag))).first()
        if row is None:
            raise NotFound(f"{describe(kind, product, tag)} does not exist")
        return _stored(kind, row)

    def list(self, kind: Kind, product: str | None = None) -> builtins.list[Stored[AnyRecord]]:
        kind = Kind(kind)
        query = sa.select(records).where(records.c.kind == kind.value)
        if product is not None:
            query = query.where(records.c.product == product)
        query = query.order_by(records.c.product, records.c.tag)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [_stored(kind, row) for row in rows]

    def history(
        self,
        *,
        product: str | None = None,
        kind: Kind | None = None,
        tag: str | None = None,
        limit: int = 100,
    ) -> builtins.list[AuditEntry]:
        query = sa.select(audit)
        if product is not None:
            query = query.where(audit.c.product == product)
        if kind is not None:
            query = query.where(audit.c.kind == Kind(kind).value)
        if tag is not None:
            query = query.where(audit.c.tag == tag)
        query = query.order_by(audit.c.id.desc()).limit(max(0, limit))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [
            AuditEntry(
                id=row.id,
                at=row.at,
                actor=row.actor,
                action=Action(row.action),
                kind=Kind(row.kind),
                product=row.product,
                tag=row.tag,
                version=row.version,
                changed_fields=json.loads(row.changed_fields),
            )
            for row in rows
        ]

    # -- writes -----------------------------------------------------------------------------

    def put(
        self,
        record: AnyRecord,
        *,
        expected_version: int | None,
        actor: str,
        idempotency_key: str | None = None,
    ) -> Stored[AnyRecord]:
        check_expected_version(expected_version)
        return self._write(
            lambda conn: self._put(conn, record, expected_version, actor, idempotency_key)
        )

    def delete(
        self, kind: Kind, product: str, tag: str, *, expected_version: int | None = None, actor: str
    ) -> bool:
        return self._write(
            lambda conn: self._delete(conn, Kind(kind), product, tag, expected_version, actor)
        )

    def _put(
        self,
        conn: Connection,
        record: AnyRecord,
        expected_version: int | None,
        actor: str,
        idempotency_key: str | None,
    ) -> Stored[AnyRecord]:
        kind, product, tag = kind_of(record), product_of(record), record.tag
        name = describe(kind, product, tag)
        wire = record.to_wire()
        body = _canonical(wire)
        body_hash = _sha256(body)
        now = _now()

        if idempotency_key is not None:
            replay = self._replay(conn, idempotency_key, kind, product, tag, body_hash, record, now)
            if replay is not None:
                return replay

        current = conn.execute(
            sa.select(records).where(_record_key(kind, product, tag)).with_for_update()
        ).first()
        old_wire: dict[str, Any] | None = None if current is None else json.loads(current.body)
        if expected_version == 0 and current is not None:
            if old_wire == wire:
                return _stored(kind, current)
            raise AlreadyExists(
                f"{name} already exists (version {current.version}) with different content: "
                "read it and update it instead (in Pulumi, set adopt=True to take it over)"
            )
        if (
            expected_version is not None
            and expected_version >= 1
            and (current is None or current.version != expected_version)
        ):
            raise _stale(name, expected_version, current.version if current else None)
        if current is not None and old_wire == wire:
            return _stored(kind, current)  # nothing to change: no new version, no audit entry

        self._check_references(conn, record)
        if current is None:
            version = self._next_version(conn, kind, product, tag)
            conn.execute(
                records.insert().values(
                    kind=kind.value,
                    product=product,
                    tag=tag,
                    version=version,
                    body=body,
                    updated_at=now,
                    updated_by=actor,
                )
            )
            action = Action.CREATE
        else:
            version = current.version + 1
            result = conn.execute(
                records.update()
                .where(_record_key(kind, product, tag), records.c.version == current.version)
                .values(version=version, body=body, updated_at=now, updated_by=actor)
            )
            if result.rowcount != 1:
                raise _stale(name, current.version, "a newer one")
            action = Action.UPDATE
        self._audit(conn, now, actor, action, kind, product, tag, version, old_wire, wire)
        if idempotency_key is not None:
            conn.execute(
                idempotency.insert().values(
                    key=idempotency_key,
                    kind=kind.value,
                    product=product,
                    tag=tag,
                    version=version,
                    body_hash=body_hash,
                    actor=actor,
                    created_at=now,
                )
            )
        return Stored[AnyRecord](record=record, version=version, updated_at=now, updated_by=actor)

    def _replay(
        self,
        conn: Connection,
        key: str,
        kind: Kind,
        product: str,
        tag: str,
        body_hash: str,
        record: AnyRecord,
        now: datetime,
    ) -> Stored[AnyRecord] | None:
        """The first call's result when ``key`` was already used for this very write."""
        conn.execute(idempotency.delete().where(idempotency.c.created_at < now - IDEMPOTENCY_TTL))
        row = conn.execute(sa.select(idempotency).where(idempotency.c.key == key)).first()
        if row is None:
            return None
        if (row.kind, row.product, row.tag, row.body_hash) != (kind.value, product, tag, body_hash):
            raise IdempotencyKeyReused(
                f"idempotency key {key!r} was already used for a different write "
                f"(of {describe(Kind(row.kind), row.product, row.tag)}): "
                "use a new key for each new write"
            )
        return Stored[AnyRecord](
            record=record, version=row.version, updated_at=row.created_at, updated_by=row.actor
        )

    def _next_version(self, conn: Connection, kind: Kind, product: str, tag: str) -> int:
        """Versions keep rising across delete and re-create, so an old ETag never matches."""
        last = conn.execute(
            sa.select(sa.func.max(audit.c.version)).where(
                audit.c.kind == kind.value, audit.c.product == product, audit.c.tag == tag
            )
        ).scalar()
        return int(last or 0) + 1

    def _check_references(self, conn: Connection, record: AnyRecord) -> None:
        """The product exists and declares the env slugs; an agent's model exists."""
        if isinstance(record, ProductRecord):
            return
        kind = kind_of(record)
        name = describe(kind, record.product, record.tag)
        row = conn.execute(
            sa.select(records.c.body)
            .where(_record_key(Kind.PRODUCT, record.product, record.product))
            .with_for_update(read=True)
        ).first()
        if row is None:
            raise ValidationFailed(
                name,
                [
                    FieldProblem(
                        "product",
                        f"product '{record.product}' does not exist: create the product first",
                    )
                ],
            )
        product_envs = [e["slug"] for e in json.loads(row.body)["envs"]]
        slugs = [e.slug for e in record.envs]
        problems = [
            FieldProblem(
                f"envs[{i}].slug",
                f"'{slug}' is not an environment of product '{record.product}' "
                f"(it has: {', '.join(product_envs)})",
            )
            for i, slug in enumerate(slugs)
            if slug not in product_envs
        ]
        if isinstance(record, AgentRecord):
            model = conn.execute(
                sa.select(records.c.tag)
                .where(_record_key(Kind.MODEL, record.product, record.model))
                .with_for_update(read=True)
            ).first()
            if model is None:
                problems.insert(
                    0,
                    FieldProblem(
                        "model",
                        f"model '{record.product}/{record.model}' does not exist: create it "
                        "first, or name a model of the same product",
                    ),
                )
        if problems:
            raise ValidationFailed(name, problems)

    def _delete(
        self,
        conn: Connection,
        kind: Kind,
        product: str,
        tag: str,
        expected_version: int | None,
        actor: str,
    ) -> bool:
        name = describe(kind, product, tag)
        current = conn.execute(
            sa.select(records).where(_record_key(kind, product, tag)).with_for_update()
        ).first()
        if current is None:
            return False
        if expected_version is not None and current.version != expected_version:
            raise _stale(name, expected_version, current.version)
        if kind is Kind.PRODUCT:
            users = self._children(conn, product)
            if users:
                raise Conflict(f"{name} still has {' and '.join(users)}: delete them first")
        elif kind is Kind.MODEL:
            agents = [
                row.tag
                for row in conn.execute(
                    sa.select(records.c.tag, records.c.body)
                    .where(records.c.kind == Kind.AGENT.value, records.c.product == product)
                    .order_by(records.c.tag)
                )
                if json.loads(row.body).get("model") == tag
            ]
            if agents:
                raise Conflict(
                    f"{name} is used by {_names('agents', agents)}: "
                    "point them at another model or delete them first"
                )
        conn.execute(records.delete().where(_record_key(kind, product, tag)))
        self._audit(
            conn, _now(), actor, Action.DELETE, kind, product, tag, current.version, None, None
        )
        return True

    def _children(self, conn: Connection, product: str) -> builtins.list[str]:
        out = []
        for kind, label in ((Kind.MODEL, "models"), (Kind.AGENT, "agents")):
            tags = list(
                conn.execute(
                    sa.select(records.c.tag)
                    .where(records.c.kind == kind.value, records.c.product == product)
                    .order_by(records.c.tag)
                ).scalars()
            )
            if tags:
                out.append(_names(label, tags))
        return out

    def _audit(
        self,
        conn: Connection,
        at: datetime,
        actor: str,
        action: Action,
        kind: Kind,
        product: str,
        tag: str,
        version: int,
        old: dict[str, Any] | None,
        new: dict[str, Any] | None,
    ) -> None:
        fields = [] if action is Action.DELETE else changed_fields(old, new)
        conn.execute(
            audit.insert().values(
                at=at,
                actor=actor,
                action=action.value,
                kind=kind.value,
                product=product,
                tag=tag,
                version=version,
                changed_fields=json.dumps(fields),
            )
        )

    # -- batches ----------------------------------------------------------------------------

    def put_all(self, records: builtins.list[AnyRecord], *, actor: str) -> None:
        """Upsert every record in one transaction (restores: ``llmreg.store.backup``)."""

        def work(conn: Connection) -> None:
            for record in records:
                self._put(conn, record, None, actor, None)

        self._write(work)

    # -- tokens -----------------------------------------------------------------------------

    def create_token(
        self, name: str, scope: TokenScope, product: str | None
    ) -> tuple[TokenInfo, str]:
        """A new token and its secret ``llmreg_<id>_<random>`` (shown once, stored hashed)."""
        scope = TokenScope(scope)
        problems = []
        if not name:
            problems.append(FieldProblem("name", "is required: say who or what uses the token"))
        if scope is TokenScope.ADMIN and product is not None:
            problems.append(
                FieldProblem("product", "an admin token covers every product: leave it out")
            )
        if scope is not TokenScope.ADMIN and not product:
            problems.append(
                FieldProblem("product", f"a {scope.value} token needs the product it may use")
            )
        if problems:
            raise ValidationFailed("token", problems)
        token_id = secrets.token_hex(8)
        secret = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        info = TokenInfo(id=token_id, name=name, scope=scope, product=product, created_at=_now())

        def work(conn: Connection) -> None:
            conn.execute(
                tokens.insert().values(
                    id=info.id,
                    name=info.name,
                    scope=scope.value,
                    product=info.product,
                    secret_hash=_sha256(secret),
                    created_at=info.created_at,
                    revoked=False,
                )
            )

        self._write(work)
        return info, secret

    def revoke_token(self, token_id: str) -> bool:
        """Revoke a token; False if there is no token with that id."""

        def work(conn: Connection) -> bool:
            result = conn.execute(
                tokens.update().where(tokens.c.id == token_id).values(revoked=True)
            )
            return result.rowcount == 1

        return self._write(work)

    def verify_token(self, secret: str) -> TokenInfo | None:
        """The token a secret belongs to, or None (unknown, malformed or revoked)."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        parts = secret.split("_", 2)
        if len(parts) != 3:
            return None
        with self._read() as conn:
            row = conn.execute(sa.select(tokens).where(tokens.c.id == parts[1])).first()
        if row is None or not hmac.compare_digest(row.secret_hash, _sha256(secret)):
            return None
        info = self._token(row)
        return None if info.revoked else info

    def list_tokens(self) -> builtins.list[TokenInfo]:
        with self._read() as conn:
            rows = conn.execute(sa.select(tokens).order_by(tokens.c.created_at, tokens.c.id))
            return [self._token(row) for row in rows]

    @staticmethod
    def _token(row: Row[Any]) -> TokenInfo:
        return TokenInfo(
            id=row.id,
            name=row.name,
            scope=TokenScope(row.scope),
            product=row.product,
            created_at=row.created_at,
            revoked=bool(row.revoked),
        )


__all__ = ["SqlStore"]
