"""What only the SQL store offers (SQLite and PostgreSQL): tokens, export/import, schema."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
import sqlalchemy as sa

from llmreg.errors import AlreadyExists, LlmregError, ValidationFailed
from llmreg.store import _sql_engine
from llmreg.store._sql_schema import metadata
from llmreg.store.backup import export_product, import_product
from llmreg.store.base import Kind, TokenScope
from llmreg.store.sql import SqlStore

from . import records as r

ACTOR = "test:sql"


def test_token_lifecycle(sql_store: SqlStore) -> None:
    shop = r.unique("shop")
    info, secret = sql_store.create_token("ci", TokenScope.WRITE, shop)
    assert re.fullmatch(rf"llmreg_{info.id}_[A-Za-z0-9_-]{{43}}", secret)
    assert (info.name, info.scope, info.product, info.revoked) == ("ci", "write", shop, False)
    assert sql_store.verify_token(secret) == info
    assert sql_store.verify_token(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert sql_store.verify_token("llmreg_nope_x") is None
    assert sql_store.verify_token("not-a-token") is None
    assert info in sql_store.list_tokens()

    assert sql_store.revoke_token(info.id) is True
    assert sql_store.verify_token(secret) is None
    assert next(t for t in sql_store.list_tokens() if t.id == info.id).revoked is True
    assert sql_store.revoke_token("0000000000000000") is False


def test_tokens_are_stored_hashed_only(sql_store: SqlStore) -> None:
    _, secret = sql_store.create_token("admin", TokenScope.ADMIN, None)
    with sql_store._engine.connect() as conn:
        rows = [tuple(map(str, row)) for row in conn.execute(sa.text("SELECT * FROM tokens"))]
    dumped = json.dumps(rows)
    assert secret not in dumped
    assert secret.split("_", 2)[2] not in dumped
    assert hashlib.sha256(secret.encode()).hexdigest() in dumped


def test_token_scope_rules(sql_store: SqlStore) -> None:
    with pytest.raises(ValidationFailed) as err:
        sql_store.create_token("reader", TokenScope.READ, None)
    assert [p.path for p in err.value.problems] == ["product"]
    with pytest.raises(ValidationFailed) as err:
        sql_store.create_token("root", TokenScope.ADMIN, "shop")
    assert [p.path for p in err.value.problems] == ["product"]
    info, _ = sql_store.create_token("root", TokenScope.ADMIN, None)
    assert info.product is None


def test_export_then_import_into_another_store(sql_store: SqlStore, tmp_path: object) -> None:
    shop = r.unique("shop")
    api_key = "sk-export-" + r.unique("k")
    sql_store.put(r.product(shop), expected_version=0, actor=ACTOR)
    sql_store.put(r.model(shop, "m", api_key=api_key), expected_version=0, actor=ACTOR)
    sql_store.put(r.agent(shop, "a", model="m"), expected_version=0, actor=ACTOR)
    data = export_product(sql_store, shop)
    assert [m["tag"] for m in data["models"]] == ["m"]
    assert [a["tag"] for a in data["agents"]] == ["a"]
    assert api_key not in json.dumps(data)
    assert "ciphertext" in json.dumps(data)

    with SqlStore(f"sqlite:///{tmp_path}/restored/registry.db") as target:
        import_product(target, json.loads(json.dumps(data)), actor="restore")
        assert export_product(target, shop) == data
        assert target.get(Kind.AGENT, shop, "a").updated_by == "restore"
        # Importing again changes nothing (upsert of identical records).
        import_product(target, data, actor="restore")
        assert target.get(Kind.MODEL, shop, "m").version == 1
        assert len(target.history(product=shop)) == 3


def test_import_is_all_or_nothing(sql_store: SqlStore) -> None:
    shop = r.unique("shop")
    data = {
        "product": r.product(shop).to_wire(),
        "models": [r.model(shop, "m").to_wire()],
        "agents": [r.agent(shop, "a", model="missing").to_wire()],
    }
    with pytest.raises(ValidationFailed, match=r"model '.*/missing' does not exist"):
        import_product(sql_store, data, actor=ACTOR)
    assert sql_store.list(Kind.PRODUCT, shop) == []
    assert sql_store.history(product=shop) == []

    data["models"] = [{**r.model(shop, "m").to_wire(), "product": "elsewhere"}]
    with pytest.raises(ValidationFailed) as err:
        import_product(sql_store, data, actor=ACTOR)
    assert [p.path for p in err.value.problems] == ["models[0].product"]


def test_schema_is_at_the_newest_migration(sql_store: SqlStore) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(_sql_engine.MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == _sql_engine.HEAD
    with sql_store._engine.connect() as conn:
        assert _sql_engine.current_revision(conn) == _sql_engine.HEAD
        inspector = sa.inspect(conn)
        for table in metadata.sorted_tables:
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name


def test_unknown_newer_schema_is_refused(fresh_sql_url: str) -> None:
    with SqlStore(fresh_sql_url) as store, store._engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(LlmregError, match="newer than this llmreg"):
        SqlStore(fresh_sql_url)


def test_opening_twice_shares_one_engine(sql_store: SqlStore) -> None:
    shop = r.unique("shop")
    with SqlStore(sql_store.url) as second:
        assert second._engine is sql_store._engine
        second.put(r.product(shop), expected_version=0, actor=ACTOR)
    # Closing the second store leaves the first one working.
    assert sql_store.get(Kind.PRODUCT, shop, shop).version == 1
    with pytest.raises(AlreadyExists):
        sql_store.put(r.product(shop, name="Other"), expected_version=0, actor=ACTOR)
