"""The SQL store on PostgreSQL: no plaintext in any table, concurrent first opens."""

from __future__ import annotations

import multiprocessing
import secrets
from concurrent.futures import ProcessPoolExecutor

import psycopg
import pytest

from llmreg.store.base import Kind
from llmreg.store.sql import SqlStore

from . import _workers
from . import records as r

pytestmark = pytest.mark.postgres
ACTOR = "test:postgres"


def _all_text(url: str) -> str:
    """Every row of every table of the database, as text."""
    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT quote_ident(table_name) FROM information_schema.tables "
                "WHERE table_schema = 'public'"
            )
        ]
        assert {"records", "audit", "idempotency", "tokens"} <= set(tables)
        return "\n".join(
            str(row[0])
            for table in tables
            for row in conn.execute(f"SELECT t::text FROM {table} t")
        )


def test_no_plaintext_key_in_any_table(fresh_postgres_url: str) -> None:
    plaintexts = ["sk-leak-" + secrets.token_urlsafe(24) for _ in range(4)]
    shop = r.unique("shop")
    with SqlStore(fresh_postgres_url) as store:
        store.put(r.product(shop), expected_version=0, actor=ACTOR)
        store.put(
            r.model(shop, "a", api_key=plaintexts[0]),
            expected_version=0,
            actor=ACTOR,
            idempotency_key="k1",
        )
        store.put(r.model(shop, "b", api_key=plaintexts[1]), expected_version=0, actor=ACTOR)
        store.put(r.model(shop, "a", api_key=plaintexts[2]), expected_version=1, actor=ACTOR)
        store.put(r.model(shop, "b", api_key=plaintexts[3]), expected_version=None, actor=ACTOR)
        store.create_token("ci", "write", shop)  # type: ignore[arg-type]
        assert store.get(Kind.MODEL, shop, "b").version == 2
    text = _all_text(fresh_postgres_url)
    assert shop in text and "ciphertext" in text
    for key in plaintexts:
        assert text.count(key) == 0


def test_processes_opening_a_new_database_at_once_migrate_it_once(fresh_postgres_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(3, mp_context=context) as pool:
        counts = list(pool.map(_workers.open_and_count, [fresh_postgres_url] * 3, timeout=300))
    assert counts == [1, 1, 1]


def test_processes_incrementing_one_record_lose_no_update(fresh_postgres_url: str) -> None:
    shop = r.unique("shop")
    with SqlStore(fresh_postgres_url) as store:
        store.put(r.product(shop), expected_version=0, actor=ACTOR)
        store.put(r.model(shop, "counter", maxTokens=1), expected_version=0, actor=ACTOR)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(3, mp_context=context) as pool:
        futures = [
            pool.submit(_workers.increment, fresh_postgres_url, shop, "counter", 20)
            for _ in range(3)
        ]
        for f in futures:
            f.result(timeout=300)
    with SqlStore(fresh_postgres_url) as store:
        final = store.get(Kind.MODEL, shop, "counter")
        assert final.record.max_tokens == 61  # type: ignore[union-attr]
        assert final.version == 61


def test_async_reads_survive_a_dropped_connection_and_report_a_lost_database(
    fresh_postgres_url: str, postgres_dsn: str
) -> None:
    import asyncio

    import sqlalchemy as sa

    shop = r.unique("shop")
    name = fresh_postgres_url.rsplit("/", 1)[1]
    key = (Kind.PRODUCT, shop, shop)

    def terminate() -> None:
        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )

    async def scenario(store: SqlStore) -> None:
        assert (await store.get_many_async([key]))[key].version == 1
        terminate()  # the async connection is dropped: the read runs again on a new one
        assert (await store.get_many_async([key]))[key].version == 1
        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        try:
            terminate()
            with pytest.raises(sa.exc.OperationalError):
                await store.get_many_async([key])
        finally:
            with psycopg.connect(postgres_dsn, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        assert (await store.get_many_async([key]))[key].version == 1
        await store.close_async_reads()

    with SqlStore(fresh_postgres_url) as store:
        store.put(r.product(shop), expected_version=0, actor=ACTOR)
        asyncio.run(scenario(store))
