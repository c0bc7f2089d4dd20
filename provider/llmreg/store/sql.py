"""The SQL store: embedded SQLite (the default) or PostgreSQL, over SQLAlchemy 2 Core.

Each record is one row holding its camelCase wire JSON (sealed keys only, never plaintext) and a
version that every write bumps. Writes run in one transaction each: ``BEGIN IMMEDIATE`` on
SQLite (so read-check-write is atomic across threads and processes), row locks on PostgreSQL
(``SELECT ... FOR UPDATE`` on the record, ``FOR SHARE`` on what it refers to) plus a
conditional ``UPDATE ... WHERE version = :v``. The schema is migrated with Alembic on open.

Reads are single statements without a transaction round trip (``_sql_engine.read_options``).
Parsed records are shared through a cache keyed by their stored JSON text, so reading an
unchanged record costs a query but no JSON parsing or validation. Arguments that no record can
match (longer than the 64-character key columns, or holding a NUL or a lone surrogate, which
PostgreSQL cannot even compare) are answered without a query: not found.

The server's rate-limit counters live here too (``count_request``): one row per client key and
fixed window, incremented atomically, so every process on one database shares them.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from .._compat import UTC
from ..domain import AgentRecord, ProductRecord
from ..domain.common import SLUG_PATTERN, STORED
from ..domain.rules import env_problems
from ..domain.text import safe_text, text_problem
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
from ._sql_async import AsyncReads
from ._sql_changes import changed_fields
from ._sql_schema import audit, idempotency, rate_limits, records, tokens
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
KEY_LENGTH = 64
"""Characters of the product and tag columns (a slug has at most 63)."""
TEXT_LENGTH = 200
"""Characters of the actor, token name and idempotency key columns."""
RECORD_CACHE_BYTES = 32 * 1024 * 1024
"""Stored JSON text held by the parsed-record cache (least recently used first out)."""
_SLUG = re.compile(SLUG_PATTERN)


def _canonical(wire: dict[str, Any]) -> str:
    return json.dumps(wire, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


class _RecordCache:
    """Records parsed from their stored JSON text, keyed by (kind, text).

    The same text always parses to the same (immutable) record, so an entry never goes stale: a
    changed record has a new text. Bounded by the total size of the texts held.
    """

    def __init__(self, max_bytes: int = RECORD_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, str], AnyRecord] = OrderedDict()
        self._bytes = 0

    def record(self, kind: Kind, body: str) -> AnyRecord:
        key = (kind.value, body)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        record = RECORD_TYPES[kind].model_validate(json.loads(body), context={STORED: True})
        with self._lock:
            if key not in self._items:
                self._items[key] = record
                self._bytes += len(body)
                while self._bytes > self.max_bytes and self._items:
                    (_, text), _ = self._items.popitem(last=False)
                    self._bytes -= len(text)
        return record


_RECORDS = _RecordCache()
_STORED: OrderedDict[tuple[Any, ...], Stored[AnyRecord]] = OrderedDict()
_STORED_LOCK = threading.Lock()
_STORED_SIZE = 4096


def _stored_of_raw(raw: tuple[Any, ...]) -> Stored[AnyRecord]:
    """The Stored of a raw records row (``_RECORD_COLUMNS``), shared while the row is the same
    (its version, text and write metadata are the key)."""
    with _STORED_LOCK:
        found = _STORED.get(raw)
        if found is not None:
            _STORED.move_to_end(raw)
            return found
    row = _Row(raw[0], raw[1], raw[2], raw[3], raw[4], _utc(raw[5]), raw[6])
    stored = _stored(Kind(raw[0]), row)
    with _STORED_LOCK:
        _STORED[raw] = stored
        while len(_STORED) > _STORED_SIZE:
            _STORED.popitem(last=False)
    return stored


def _stored(kind: Kind, row: Row[Any] | _Row) -> Stored[AnyRecord]:
    kind = Kind(kind)
    return Stored[AnyRecord].model_construct(
        record=_RECORDS.record(kind, row.body),
        version=row.version,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _key_ok(*values: object) -> bool:
    """Whether a record key could match: short enough for its column, storable text."""
    return all(
        isinstance(v, str) and len(v) <= KEY_LENGTH and text_problem(v) is None for v in values
    )


def _text_field(what: str, path: str, value: object, *, required: bool = True) -> None:
    """Refuse a free-text argument that the text columns cannot hold."""
    problem: str | None = None
    if not isinstance(value, str):
        problem = "must be text"
    elif required and not value:
        problem = "is required"
    elif len(value) > TEXT_LENGTH:
        problem = f"is {len(value)} characters long: at most {TEXT_LENGTH} fit"
    else:
        problem = text_problem(value)
    if problem is not None:
        raise ValidationFailed(what, [FieldProblem(path, problem)])


def _record_key(kind: Kind, product: str, tag: str) -> sa.ColumnElement[bool]:
    return sa.and_(records.c.kind == kind.value, records.c.product == product, records.c.tag == tag)


_RECORD_COLUMNS = "kind, product, tag, version, body, updated_at, updated_by"
_TOKEN_COLUMNS = "id, name, scope, product, secret_hash, created_at, revoked"  # noqa: S105


class _Row(NamedTuple):
    """A row read through the DBAPI directly (the hot reads, see ``SqlStore._raw_rows``)."""

    kind: str
    product: str
    tag: str
    version: int
    body: str
    updated_at: datetime
    updated_by: str


class _TokenRow(NamedTuple):
    id: str
    name: str
    scope: str
    product: str | None
    secret_hash: str
    created_at: datetime
    revoked: bool


def _utc(value: Any) -> datetime:
    """A timestamp as the DBAPI returns it (SQLite: text of naive UTC) -> aware UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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
        self._read_options = engines.read_options(self._engine.dialect.name)
        mark = "?" if self.dialect == "sqlite" else "%s"
        key = f"(kind = {mark} AND product = {mark} AND tag = {mark})"
        self._records_sql = {
            n: f"SELECT {_RECORD_COLUMNS} FROM records WHERE " + " OR ".join([key] * n)
            for n in (1, 2, 3)
        }
        self._token_sql = f"SELECT {_TOKEN_COLUMNS} FROM tokens WHERE id = {mark}"
        self._async: AsyncReads | None = None
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

    def _rows(
        self, statement: sa.Executable, params: dict[str, Any] | None = None
    ) -> builtins.list[Row[Any]]:
        """Run one read statement (no transaction round trips; retried once on a dropped
        connection)."""

        def attempt() -> builtins.list[Row[Any]]:
            with self._engine.connect() as conn:
                conn.execution_options(**self._read_options)
                return builtins.list(conn.execute(statement, params or {}).all())

        return engines.retry_disconnected(attempt)

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, retrying it whole on transient failures."""

        def attempt() -> T:
            with self._engine.connect() as conn:
                conn.execution_options(**{engines.WRITE_OPTION: True})
                with conn.begin():
                    return work(conn)

        return engines.retry_locked(attempt)

    def _raw_rows(self, sql: str, params: tuple[Any, ...]) -> builtins.list[tuple[Any, ...]]:
        """Run one read statement through the pooled DBAPI connection, without SQLAlchemy's
        statement machinery (a tenth of its cost: the resolved endpoint and token checks run
        on every request). PostgreSQL: autocommit for the statement, so no BEGIN/ROLLBACK."""
        postgres = self.dialect == "postgresql"

        def attempt() -> builtins.list[tuple[Any, ...]]:
            conn = self._engine.raw_connection()
            try:
                driver = conn.driver_connection
                if postgres:
                    driver.autocommit = True  # type: ignore[union-attr]
                try:
                    cursor = conn.cursor()
                    try:
                        cursor.execute(sql, params)
                        return builtins.list(cursor.fetchall())
                    finally:
                        cursor.close()
                finally:
                    if postgres:
                        driver.autocommit = False  # type: ignore[union-attr]
            finally:
                conn.close()

        return engines.retry_disconnected(attempt)

    # -- reads ------------------------------------------------------------------------------

    def get(self, kind: Kind, product: str, tag: str) -> Stored[AnyRecord]:
        kind = Kind(kind)
        found = self.get_many([(kind, product, tag)])
        if not found:
            name = describe(kind, safe_text(str(product)), safe_text(str(tag)))
            raise NotFound(f"{name} does not exist")
        return found[(kind, product, tag)]

    def get_many(
        self, keys: Sequence[tuple[Kind, str, str]]
    ) -> dict[tuple[Kind, str, str], Stored[AnyRecord]]:
        """Those of the records ``(kind, product, tag)`` that exist, read in one statement (the
        resolved endpoint reads an agent and its model at once)."""
        wanted = [(Kind(k), p, t) for k, p, t in dict.fromkeys(keys) if _key_ok(p, t)]
        if not wanted:
            return {}
        out: dict[tuple[Kind, str, str], Stored[AnyRecord]] = {}
        for start in range(0, len(wanted), 3):
            chunk = wanted[start : start + 3]
            params = tuple(v for kind, product, tag in chunk for v in (kind.value, product, tag))
            for raw in self._raw_rows(self._records_sql[len(chunk)], params):
                stored = _stored_of_raw(tuple(raw))
                out[(Kind(raw[0]), raw[1], raw[2])] = stored
        return out

    async def get_many_async(
        self, keys: Sequence[tuple[Kind, str, str]]
    ) -> dict[tuple[Kind, str, str], Stored[AnyRecord]]:
        """``get_many`` from an event loop without blocking it: on PostgreSQL through psycopg's
        async connections (``_sql_async``); SQLite reads take tens of microseconds and WAL
        readers never wait for writers, so they run in place."""
        if self.dialect != "postgresql":
            return self.get_many(keys)
        wanted = [(Kind(k), p, t) for k, p, t in dict.fromkeys(keys) if _key_ok(p, t)]
        out: dict[tuple[Kind, str, str], Stored[AnyRecord]] = {}
        for start in range(0, len(wanted), 3):
            chunk = wanted[start : start + 3]
            params = tuple(v for kind, product, tag in chunk for v in (kind.value, product, tag))
            for raw in await self._async_reads().rows(self._records_sql[len(chunk)], params):
                stored = _stored_of_raw(tuple(raw))
                out[(Kind(raw[0]), raw[1], raw[2])] = stored
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
        if product is not None and not _key_ok(product):
            return []
        query = sa.select(records).where(records.c.kind == kind.value)
        if product is not None:
            query = query.where(records.c.product == product)
        query = query.order_by(records.c.product, records.c.tag)
        return [_stored(kind, row) for row in self._rows(query)]

    def history(
        self,
        *,
        product: str | None = None,
        kind: Kind | None = None,
        tag: str | None = None,
        limit: int = 100,
    ) -> builtins.list[AuditEntry]:
        if not _key_ok(*(v for v in (product, tag) if v is not None)):
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
        _text_field(f"write of {name}", "actor", actor)
        if idempotency_key is not None:
            _text_field(f"write of {name}", "idempotencyKey", idempotency_key)
        return self._write(
            lambda conn: self._put(conn, record, expected_version, actor, idempotency_key)
        )

    def delete(
        self, kind: Kind, product: str, tag: str, *, expected_version: int | None = None, actor: str
    ) -> bool:
        kind = Kind(kind)
        if not _key_ok(product, tag):
            return False
        _text_field(f"delete of {describe(kind, product, tag)}", "actor", actor)
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
        problems = env_problems([e.slug for e in record.envs], product_envs, record.product)
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
        if not isinstance(name, str) or not name:
            problems.append(FieldProblem("name", "is required: say who or what uses the token"))
        elif len(name) > TEXT_LENGTH or text_problem(name) is not None:
            long = f"is {len(name)} characters long: at most {TEXT_LENGTH} fit"
            problems.append(FieldProblem("name", text_problem(name) or long))
        if product is not None and (not isinstance(product, str) or not _SLUG.match(product)):
            problems.append(
                FieldProblem(
                    "product",
                    f"{product!r} is not a product tag (a slug: 1-63 lowercase letters, digits, "
                    "'-', '_' or '.')",
                )
            )
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

        if not _key_ok(token_id):
            return False

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
        if len(parts) != 3 or not _key_ok(parts[1]) or text_problem(secret) is not None:
            return None
        rows = self._raw_rows(self._token_sql, (parts[1],))
        row = None
        if rows:
            r = rows[0]
            row = _TokenRow(r[0], r[1], r[2], r[3], r[4], _utc(r[5]), bool(r[6]))
        if row is None or not hmac.compare_digest(row.secret_hash, _sha256(secret)):
            return None
        info = self._token(row)
        return None if info.revoked else info

    def list_tokens(self) -> builtins.list[TokenInfo]:
        query = sa.select(tokens).order_by(tokens.c.created_at, tokens.c.id)
        return [self._token(row) for row in self._rows(query)]

    # -- rate limits (llmreg serve) ---------------------------------------------------------

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

    @staticmethod
    def _token(row: Row[Any] | _TokenRow) -> TokenInfo:
        return TokenInfo(
            id=row.id,
            name=row.name,
            scope=TokenScope(row.scope),
            product=row.product,
            created_at=row.created_at,
            revoked=bool(row.revoked),
        )


__all__ = ["SqlStore"]
