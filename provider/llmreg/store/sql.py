"""The SQL store: embedded SQLite (the default) or PostgreSQL, over SQLAlchemy 2 Core.

Each record is one row holding its camelCase wire JSON (sealed keys only, never plaintext) and a
version that every write bumps. Writes run in one transaction each: ``BEGIN IMMEDIATE`` on
SQLite (so read-check-write is atomic across threads and processes), row locks on PostgreSQL
(``SELECT ... FOR UPDATE`` on the record, ``FOR SHARE`` on what it refers to) plus a
conditional ``UPDATE ... WHERE version = :v``. The schema is migrated with Alembic on open.

Reads are single statements without a transaction round trip (``_sql_engine.read_options``),
the same statements from a thread or an event loop (``get_many`` / ``get_many_async``).
Parsed records are shared through a cache keyed by their stored JSON text (``_sql_records``), so
reading an unchanged record costs a query but no JSON parsing or validation. Arguments that no
record can match (longer than the 64-character key columns, or holding a NUL or a lone
surrogate, which PostgreSQL cannot even compare) are answered without a query: not found.
The rules across records (a model's envs declared by its product, a model in use by an agent)
are the domain's (``domain.references``), checked on typed records inside the write.

One module per concern: records here, the connection and its limits in ``_sql_base``, tokens
in ``_sql_tokens``, the server's rate-limit counters in ``_sql_limits``.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain import AgentRecord, ProductRecord
from ..domain.references import agents_using, reference_problems
from ..domain.text import safe_text
from ..errors import AlreadyExists, Conflict, IdempotencyKeyReused, NotFound, ValidationFailed
from ._sql_async import AsyncReads
from ._sql_base import canonical, key_ok, names, sha256, stale, text_field, utc_now
from ._sql_changes import changed_fields
from ._sql_limits import SqlRateLimits
from ._sql_records import PARSED, RECORD_COLUMNS
from ._sql_schema import audit, idempotency, records
from ._sql_tokens import SqlTokens
from .base import (
    Action,
    AnyRecord,
    AuditEntry,
    Kind,
    Stored,
    check_expected_version,
    describe,
    kind_of,
    product_of,
)

IDEMPOTENCY_TTL = timedelta(hours=24)
"""How long a retried write with the same idempotency key is recognised."""


def _record_key(kind: Kind, product: str, tag: str) -> sa.ColumnElement[bool]:
    return sa.and_(records.c.kind == kind.value, records.c.product == product, records.c.tag == tag)


class SqlStore(SqlTokens, SqlRateLimits):
    """``Store`` and ``TokenStore`` over ``sqlite:///path`` or ``postgresql://...``.

    Thread-safe; opening a second store on the same URL in a process reuses the engine.
    """

    def __init__(self, url: str) -> None:
        super().__init__(url)
        key = f"(kind = {self._mark} AND product = {self._mark} AND tag = {self._mark})"
        self._records_sql = {
            n: f"SELECT {RECORD_COLUMNS} FROM records WHERE " + " OR ".join([key] * n)
            for n in (1, 2, 3)
        }
        self._async: AsyncReads | None = None

    # -- reads ------------------------------------------------------------------------------

    def get(self, kind: Kind, product: str, tag: str) -> Stored[AnyRecord]:
        kind = Kind(kind)
        found = self.get_many([(kind, product, tag)])
        if not found:
            name = describe(kind, safe_text(str(product)), safe_text(str(tag)))
            raise NotFound(f"{name} does not exist")
        return found[(kind, product, tag)]

    def _statements(
        self, keys: Sequence[tuple[Kind, str, str]]
    ) -> builtins.list[tuple[str, tuple[str, ...]]]:
        """The read statements of the records ``keys`` that could exist, three per statement."""
        wanted = [(Kind(k), p, t) for k, p, t in dict.fromkeys(keys) if key_ok(p, t)]
        out = []
        for start in range(0, len(wanted), 3):
            chunk = wanted[start : start + 3]
            params = tuple(v for kind, product, tag in chunk for v in (kind.value, product, tag))
            out.append((self._records_sql[len(chunk)], params))
        return out

    @staticmethod
    def _found(
        rows: Sequence[Sequence[Any]], out: dict[tuple[Kind, str, str], Stored[AnyRecord]]
    ) -> None:
        for raw in rows:
            out[(Kind(raw[0]), raw[1], raw[2])] = PARSED.stored_of_raw(tuple(raw))

    def get_many(
        self, keys: Sequence[tuple[Kind, str, str]]
    ) -> dict[tuple[Kind, str, str], Stored[AnyRecord]]:
        """Those of the records ``(kind, product, tag)`` that exist, read in one statement (the
        resolved endpoint reads an agent and its model at once)."""
        out: dict[tuple[Kind, str, str], Stored[AnyRecord]] = {}
        for sql, params in self._statements(keys):
            self._found(self._raw_rows(sql, params), out)
        return out

    async def get_many_async(
        self, keys: Sequence[tuple[Kind, str, str]]
    ) -> dict[tuple[Kind, str, str], Stored[AnyRecord]]:
        """``get_many`` from an event loop without blocking it: on PostgreSQL through psycopg's
        async connections (``_sql_async``); SQLite reads take tens of microseconds and WAL
        readers never wait for writers, so they run in place."""
        if self.dialect != "postgresql":
            return self.get_many(keys)
        out: dict[tuple[Kind, str, str], Stored[AnyRecord]] = {}
        for sql, params in self._statements(keys):
            self._found(await self._async_reads().rows(sql, params), out)
        return out

    def _async_reads(self) -> AsyncReads:
        if self._async is None:
            url = self._engine.url.set(drivername="postgresql")
            self._async = AsyncReads(url.render_as_string(hide_password=False))
        return self._async

    async def close_async_reads(self) -> None:
        """Close the async reads' connections of the running event loop."""
        if self._async is not None:
            await self._async.close()

    def list(self, kind: Kind, product: str | None = None) -> builtins.list[Stored[AnyRecord]]:
        kind = Kind(kind)
        if product is not None and not key_ok(product):
            return []
        query = sa.select(records).where(records.c.kind == kind.value)
        if product is not None:
            query = query.where(records.c.product == product)
        query = query.order_by(records.c.product, records.c.tag)
        return [PARSED.stored(row) for row in self._rows(query)]

    def history(
        self,
        *,
        product: str | None = None,
        kind: Kind | None = None,
        tag: str | None = None,
        limit: int = 100,
    ) -> builtins.list[AuditEntry]:
        if not key_ok(*(v for v in (product, tag) if v is not None)):
            return []
        query = sa.select(audit)
        if product is not None:
            query = query.where(audit.c.product == product)
        if kind is not None:
            query = query.where(audit.c.kind == Kind(kind).value)
        if tag is not None:
            query = query.where(audit.c.tag == tag)
        query = query.order_by(audit.c.id.desc()).limit(max(0, limit))
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
            for row in self._rows(query)
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
        name = describe(kind_of(record), product_of(record), record.tag)
        text_field(f"write of {name}", "actor", actor)
        if idempotency_key is not None:
            text_field(f"write of {name}", "idempotencyKey", idempotency_key)
        return self._write(
            lambda conn: self._put(conn, record, expected_version, actor, idempotency_key)
        )

    def delete(
        self, kind: Kind, product: str, tag: str, *, expected_version: int | None = None, actor: str
    ) -> bool:
        kind = Kind(kind)
        if not key_ok(product, tag):
            return False
        text_field(f"delete of {describe(kind, product, tag)}", "actor", actor)
        return self._write(
            lambda conn: self._delete(conn, kind, product, tag, expected_version, actor)
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
        body = canonical(wire)
        body_hash = sha256(body)
        now = utc_now()

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
                return PARSED.stored(current)
            raise AlreadyExists(
                f"{name} already exists (version {current.version}) with different content: "
                "read it and update it instead (in Pulumi, set adopt=True to take it over)"
            )
        if (
            expected_version is not None
            and expected_version >= 1
            and (current is None or current.version != expected_version)
        ):
            raise stale(name, expected_version, current.version if current else None)
        if current is not None and old_wire == wire:
            return PARSED.stored(current)  # nothing to change: no new version, no audit entry

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
                raise stale(name, current.version, "a newer one")
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
        """The product exists and declares the env slugs; an agent's model and fallback models
        exist (``domain.references``), read with share locks until the write commits."""
        if isinstance(record, ProductRecord):
            return
        row = conn.execute(
            sa.select(records)
            .where(_record_key(Kind.PRODUCT, record.product, record.product))
            .with_for_update(read=True)
        ).first()
        product = PARSED.stored(row).record if row is not None else None
        assert product is None or isinstance(product, ProductRecord)
        missing: set[str] = set()
        if isinstance(record, AgentRecord) and product is not None:
            chain = record.chain()
            found = conn.execute(
                sa.select(records.c.tag)
                .where(
                    records.c.kind == Kind.MODEL.value,
                    records.c.product == record.product,
                    records.c.tag.in_(chain),
                )
                .with_for_update(read=True)
            )
            missing = set(chain) - {row.tag for row in found}
        problems = reference_problems(record, product, missing)
        if problems:
            raise ValidationFailed(describe(kind_of(record), record.product, record.tag), problems)

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
            raise stale(name, expected_version, current.version)
        if kind is Kind.PRODUCT:
            users = self._children(conn, product)
            if users:
                raise Conflict(f"{name} still has {' and '.join(users)}: delete them first")
        elif kind is Kind.MODEL:
            rows = conn.execute(
                sa.select(records)
                .where(records.c.kind == Kind.AGENT.value, records.c.product == product)
                .order_by(records.c.tag)
            )
            agents = agents_using(tag, (_agent(PARSED.stored(row).record) for row in rows))
            if agents:
                raise Conflict(
                    f"{name} is used by {names('agents', agents)}: "
                    "point them at another model or delete them first"
                )
        conn.execute(records.delete().where(_record_key(kind, product, tag)))
        self._audit(
            conn, utc_now(), actor, Action.DELETE, kind, product, tag, current.version, None, None
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
                out.append(names(label, tags))
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


def _agent(record: AnyRecord) -> AgentRecord:
    assert isinstance(record, AgentRecord)
    return record


__all__ = ["SqlStore"]
