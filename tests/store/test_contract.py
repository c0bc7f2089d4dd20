"""The Store contract (llmreg/store/base.py), run against every backend: SQLite, PostgreSQL
and the HTTP client talking to a real ``llmreg serve``."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from llmreg.domain import AgentRecord, LlmModelRecord, ProductRecord
from llmreg.errors import AlreadyExists, Conflict, NotFound, ValidationFailed
from llmreg.store.base import Action, Kind, Store

from . import records as r

ACTOR = "test:contract"


def replaced(record: Any, drop: tuple[str, ...] = (), **fields: Any) -> Any:
    """The same record with camelCase ``fields`` set and ``drop`` left out (validated)."""
    wire = {k: v for k, v in record.to_wire().items() if k not in drop}
    wire.update(fields)
    return type(record).model_validate(wire)


@pytest.fixture
def shop(store: Store) -> str:
    """A fresh product with envs dev and prd."""
    tag = r.unique("shop")
    store.put(r.product(tag), expected_version=0, actor=ACTOR)
    return tag


# -- CRUD ---------------------------------------------------------------------------------


def test_product_crud(store: Store) -> None:
    tag = r.unique("crud")
    created = store.put(r.product(tag), expected_version=0, actor=ACTOR)
    assert created.version == 1
    assert created.updated_by == ACTOR
    assert created.etag == '"1"'
    got = store.get(Kind.PRODUCT, tag, tag)
    assert got.record == r.product(tag)
    assert got.version == 1

    renamed = replaced(got.record, name="Renamed")
    updated = store.put(renamed, expected_version=1, actor="someone-else")
    assert (updated.version, updated.updated_by) == (2, "someone-else")
    assert store.get(Kind.PRODUCT, tag, tag).record.name == "Renamed"

    assert store.delete(Kind.PRODUCT, tag, tag, actor=ACTOR) is True
    with pytest.raises(NotFound, match=f"product '{tag}'"):
        store.get(Kind.PRODUCT, tag, tag)


def test_model_crud(store: Store, shop: str) -> None:
    model = r.model(shop, "claude", temperature=0.3)
    created = store.put(model, expected_version=0, actor=ACTOR)
    assert created.version == 1
    got = store.get(Kind.MODEL, shop, "claude")
    assert isinstance(got.record, LlmModelRecord)
    assert got.record == model
    assert got.record.envs[0].sealed_key == model.envs[0].sealed_key

    updated = store.put(replaced(model, maxTokens=1000), expected_version=1, actor=ACTOR)
    assert updated.version == 2
    assert store.get(Kind.MODEL, shop, "claude").record.max_tokens == 1000  # type: ignore[union-attr]

    assert store.delete(Kind.MODEL, shop, "claude", expected_version=2, actor=ACTOR) is True
    with pytest.raises(NotFound, match=f"model '{shop}/claude'"):
        store.get(Kind.MODEL, shop, "claude")


def test_agent_crud(store: Store, shop: str) -> None:
    store.put(r.model(shop, "claude"), expected_version=0, actor=ACTOR)
    agent = r.agent(
        shop,
        "support",
        tools=[{"name": "lookup_order", "parameters": {"type": "object", "properties": {}}}],
        modelConfig={"temperature": 0.5},
        envs=[{"slug": "dev", "modelConfig": {"maxTokens": 100}}],
    )
    assert store.put(agent, expected_version=0, actor=ACTOR).version == 1
    got = store.get(Kind.AGENT, shop, "support")
    assert isinstance(got.record, AgentRecord)
    assert got.record == agent
    assert got.record.envs[0].overrides.max_tokens == 100

    store.put(replaced(agent, systemPrompt="Be brief."), expected_version=1, actor=ACTOR)
    assert store.get(Kind.AGENT, shop, "support").record.system_prompt == "Be brief."  # type: ignore[union-attr]
    assert store.delete(Kind.AGENT, shop, "support", actor=ACTOR) is True
    assert store.delete(Kind.AGENT, shop, "support", actor=ACTOR) is False


def test_full_replacement_removes_fields(store: Store, shop: str) -> None:
    full = r.model(shop, "gpt", description="old", topP=0.9, stopSequences=["END"], timeout=5000)
    store.put(full, expected_version=0, actor=ACTOR)
    bare = replaced(full, drop=("description", "topP", "stopSequences", "timeout"))
    store.put(bare, expected_version=1, actor=ACTOR)
    got = store.get(Kind.MODEL, shop, "gpt").record
    assert isinstance(got, LlmModelRecord)
    assert (got.description, got.top_p, got.stop_sequences, got.timeout) == (None, None, None, None)
    assert got == bare

    agent = r.agent(
        shop, "a", model="gpt", modelConfig={"temperature": 0.2}, envs=[{"slug": "dev"}]
    )
    store.put(agent, expected_version=0, actor=ACTOR)
    store.put(
        replaced(agent, drop=("modelConfig", "envs", "systemPrompt")),
        expected_version=1,
        actor=ACTOR,
    )
    got_agent = store.get(Kind.AGENT, shop, "a").record
    assert isinstance(got_agent, AgentRecord)
    assert got_agent.envs == []
    assert got_agent.overrides.temperature is None
    assert got_agent.system_prompt is None


def test_unconditional_put_creates_and_replaces(store: Store, shop: str) -> None:
    model = r.model(shop, "m")
    assert store.put(model, expected_version=None, actor=ACTOR).version == 1
    assert store.put(replaced(model, name="Other"), expected_version=None, actor=ACTOR).version == 2
    assert store.get(Kind.MODEL, shop, "m").record.name == "Other"


def test_negative_expected_version_is_refused_before_any_write(store: Store, shop: str) -> None:
    with pytest.raises(ValueError, match="expected_version is None, 0"):
        store.put(r.model(shop, "m"), expected_version=-1, actor=ACTOR)
    with pytest.raises(NotFound):
        store.get(Kind.MODEL, shop, "m")


def test_writing_identical_content_makes_no_new_version(store: Store, shop: str) -> None:
    model = r.model(shop, "m")
    store.put(model, expected_version=0, actor=ACTOR)
    assert store.put(model, expected_version=1, actor=ACTOR).version == 1
    assert store.put(model, expected_version=None, actor=ACTOR).version == 1
    assert len(store.history(product=shop, kind=Kind.MODEL)) == 1


# -- create semantics and optimistic concurrency -------------------------------------------


def test_create_is_idempotent(store: Store, shop: str) -> None:
    model = r.model(shop, "m")
    first = store.put(model, expected_version=0, actor=ACTOR)
    again = store.put(model, expected_version=0, actor="retrying-actor")
    assert again.version == first.version == 1
    assert again.record == model
    assert again.updated_by == ACTOR  # nothing was written
    assert [e.action for e in store.history(product=shop, kind=Kind.MODEL)] == [Action.CREATE]


def test_create_of_a_different_existing_record_fails(store: Store, shop: str) -> None:
    store.put(r.model(shop, "m"), expected_version=0, actor=ACTOR)
    with pytest.raises(AlreadyExists, match=f"model '{shop}/m' already exists"):
        store.put(r.model(shop, "m", temperature=1.5), expected_version=0, actor=ACTOR)
    assert store.get(Kind.MODEL, shop, "m").record.temperature == 0.7  # type: ignore[union-attr]


def test_stale_update_conflicts_naming_the_record_and_versions(store: Store, shop: str) -> None:
    model = r.model(shop, "m")
    store.put(model, expected_version=0, actor=ACTOR)
    store.put(replaced(model, temperature=0.1), expected_version=1, actor="first")
    with pytest.raises(Conflict) as err:
        store.put(replaced(model, temperature=0.9), expected_version=1, actor="second")
    message = str(err.value)
    assert f"model '{shop}/m'" in message
    assert "expected version 1" in message
    assert "registry has 2" in message
    got = store.get(Kind.MODEL, shop, "m")
    assert (got.version, got.record.temperature, got.updated_by) == (2, 0.1, "first")  # type: ignore[union-attr]


def test_update_of_a_deleted_record_conflicts(store: Store, shop: str) -> None:
    model = r.model(shop, "m")
    store.put(model, expected_version=0, actor=ACTOR)
    store.delete(Kind.MODEL, shop, "m", actor=ACTOR)
    with pytest.raises(Conflict, match=f"model '{shop}/m'"):
        store.put(model, expected_version=1, actor=ACTOR)
    with pytest.raises(NotFound):
        store.get(Kind.MODEL, shop, "m")


def test_stale_delete_conflicts(store: Store, shop: str) -> None:
    model = r.model(shop, "m")
    store.put(model, expected_version=0, actor=ACTOR)
    store.put(replaced(model, name="Two"), expected_version=1, actor=ACTOR)
    with pytest.raises(Conflict, match=f"model '{shop}/m'"):
        store.delete(Kind.MODEL, shop, "m", expected_version=1, actor=ACTOR)
    assert store.get(Kind.MODEL, shop, "m").version == 2


def test_versions_keep_rising_after_delete_and_recreate(store: Store, shop: str) -> None:
    """An ETag of the deleted record must never match the re-created one."""
    model = r.model(shop, "m")
    store.put(model, expected_version=0, actor=ACTOR)
    store.put(replaced(model, name="Two"), expected_version=1, actor=ACTOR)
    store.delete(Kind.MODEL, shop, "m", actor=ACTOR)
    recreated = store.put(model, expected_version=0, actor=ACTOR)
    assert recreated.version == 3


def test_idempotency_key_replays_the_first_result(store: Store, shop: str) -> None:
    model = r.model(shop, "m")
    store.put(model, expected_version=0, actor=ACTOR)
    change = replaced(model, temperature=0.2)
    first = store.put(change, expected_version=1, actor=ACTOR, idempotency_key="key-" + shop)
    assert first.version == 2
    # The retry carries the version it read before the first attempt: without the key it would
    # conflict; with it, it gets the first result and writes nothing.
    retry = store.put(change, expected_version=1, actor=ACTOR, idempotency_key="key-" + shop)
    assert retry.version == 2
    assert retry.record == change
    assert store.get(Kind.MODEL, shop, "m").version == 2
    assert len(store.history(product=shop, kind=Kind.MODEL)) == 2

    with pytest.raises(Conflict, match="idempotency key"):
        store.put(
            replaced(model, temperature=1.0),
            expected_version=2,
            actor=ACTOR,
            idempotency_key="key-" + shop,
        )
    assert store.get(Kind.MODEL, shop, "m").record.temperature == 0.2  # type: ignore[union-attr]


# -- referential rules ----------------------------------------------------------------------


def _paths(err: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [p.path for p in err.value.problems]


def test_model_needs_its_product(store: Store) -> None:
    missing = r.unique("nope")
    with pytest.raises(ValidationFailed, match=f"product '{missing}' does not exist") as err:
        store.put(r.model(missing, "m"), expected_version=0, actor=ACTOR)
    assert _paths(err) == ["product"]


def test_model_env_slugs_must_be_the_products(store: Store, shop: str) -> None:
    with pytest.raises(ValidationFailed, match="'stg' is not an environment") as err:
        store.put(r.model(shop, "m", envs=("dev", "stg")), expected_version=0, actor=ACTOR)
    assert _paths(err) == ["envs[1].slug"]
    with pytest.raises(NotFound):
        store.get(Kind.MODEL, shop, "m")


def test_agent_needs_a_model_of_its_product_and_its_envs(store: Store, shop: str) -> None:
    other = r.unique("other")
    store.put(r.product(other), expected_version=0, actor=ACTOR)
    store.put(r.model(other, "claude"), expected_version=0, actor=ACTOR)
    with pytest.raises(ValidationFailed, match=f"model '{shop}/claude' does not exist") as err:
        store.put(r.agent(shop, "a", model="claude"), expected_version=0, actor=ACTOR)
    assert _paths(err) == ["model"]

    store.put(r.model(shop, "claude"), expected_version=0, actor=ACTOR)
    with pytest.raises(ValidationFailed) as err:
        store.put(
            r.agent(shop, "a", envs=[{"slug": "dev"}, {"slug": "qa"}]),
            expected_version=0,
            actor=ACTOR,
        )
    assert _paths(err) == ["envs[1].slug"]
    assert store.put(r.agent(shop, "a", envs=[{"slug": "prd"}]), expected_version=0, actor=ACTOR)


def test_an_agents_fallback_models_must_exist_and_stay(store: Store, shop: str) -> None:
    store.put(r.model(shop, "claude"), expected_version=0, actor=ACTOR)
    with pytest.raises(ValidationFailed, match=f"model '{shop}/gpt' does not exist") as err:
        store.put(
            r.agent(shop, "a", fallbacks=["claude-2", "gpt"]), expected_version=0, actor=ACTOR
        )
    assert _paths(err) == ["fallbacks[0]", "fallbacks[1]"]
    store.put(r.model(shop, "gpt"), expected_version=0, actor=ACTOR)
    assert store.put(r.agent(shop, "a", fallbacks=["gpt"]), expected_version=0, actor=ACTOR)
    with pytest.raises(Conflict, match=rf"model '{shop}/gpt' is used by agents? 'a'"):
        store.delete(Kind.MODEL, shop, "gpt", actor=ACTOR)
    assert store.get(Kind.MODEL, shop, "gpt").version == 1


def test_delete_of_a_missing_record_returns_false(store: Store, shop: str) -> None:
    assert store.delete(Kind.MODEL, shop, "ghost", actor=ACTOR) is False
    assert store.delete(Kind.AGENT, shop, "ghost", expected_version=3, actor=ACTOR) is False
    missing = r.unique("gone")
    assert store.delete(Kind.PRODUCT, missing, missing, actor=ACTOR) is False
    assert store.history(product=missing) == []


def test_product_with_records_is_not_deleted(store: Store, shop: str) -> None:
    store.put(r.model(shop, "claude"), expected_version=0, actor=ACTOR)
    store.put(r.model(shop, "gpt"), expected_version=0, actor=ACTOR)
    store.put(r.agent(shop, "support"), expected_version=0, actor=ACTOR)
    with pytest.raises(Conflict) as err:
        store.delete(Kind.PRODUCT, shop, shop, actor=ACTOR)
    message = str(err.value)
    for name in (f"product '{shop}'", "'claude'", "'gpt'", "'support'"):
        assert name in message
    assert store.get(Kind.PRODUCT, shop, shop).version == 1


def test_model_used_by_agents_is_not_deleted(store: Store, shop: str) -> None:
    store.put(r.model(shop, "claude"), expected_version=0, actor=ACTOR)
    store.put(r.model(shop, "gpt"), expected_version=0, actor=ACTOR)
    store.put(r.agent(shop, "support", model="claude"), expected_version=0, actor=ACTOR)
    store.put(r.agent(shop, "sales", model="claude"), expected_version=0, actor=ACTOR)
    with pytest.raises(Conflict, match=r"model '.*/claude' is used by agents 'sales', 'support'"):
        store.delete(Kind.MODEL, shop, "claude", actor=ACTOR)
    assert store.delete(Kind.MODEL, shop, "gpt", actor=ACTOR) is True
    assert store.get(Kind.MODEL, shop, "claude").version == 1


# -- listing and history ------------------------------------------------------------------


def test_list_is_ordered_by_tag_and_scoped_to_the_product(store: Store, shop: str) -> None:
    other = r.unique("other")
    store.put(r.product(other), expected_version=0, actor=ACTOR)
    for tag in ("zeta", "alpha", "mid"):
        store.put(r.model(shop, tag), expected_version=0, actor=ACTOR)
    store.put(r.model(other, "beta"), expected_version=0, actor=ACTOR)
    assert [s.record.tag for s in store.list(Kind.MODEL, shop)] == ["alpha", "mid", "zeta"]
    assert [s.record.tag for s in store.list(Kind.MODEL, other)] == ["beta"]
    assert store.list(Kind.AGENT, shop) == []
    products = [s.record.tag for s in store.list(Kind.PRODUCT)]
    assert shop in products and other in products
    assert products == sorted(products)
    assert all(s.version == 1 for s in store.list(Kind.MODEL, shop))


def test_history_records_who_what_and_which_fields(store: Store, shop: str) -> None:
    api_key = "sk-history-" + r.unique("k")
    model = r.model(shop, "m", api_key=api_key)
    store.put(model, expected_version=0, actor="alice")
    rotated = replaced(
        model,
        temperature=0.3,
        envs=[r.sealed_env(shop, "m", "dev", api_key), model.envs[1].to_wire()],
    )
    store.put(rotated, expected_version=1, actor="bob")
    store.delete(Kind.MODEL, shop, "m", actor="carol")

    entries = store.history(product=shop, kind=Kind.MODEL, tag="m")
    assert [(e.action, e.actor, e.version) for e in entries] == [
        (Action.DELETE, "carol", 2),
        (Action.UPDATE, "bob", 2),
        (Action.CREATE, "alice", 1),
    ]
    assert entries[0].id > entries[1].id > entries[2].id
    assert entries[0].at >= entries[1].at >= entries[2].at
    assert entries[1].changed_fields == [
        "envs[dev].keyFingerprint",
        "envs[dev].sealedKey",
        "temperature",
    ]
    assert {"name", "provider", "model", "envs[dev]", "envs[prd]"} <= set(entries[2].changed_fields)

    # Names only: no ciphertext, fingerprint, key or value anywhere in the audit rows.
    dumped = json.dumps([e.to_wire() for e in store.history(product=shop)])
    for env in (*model.envs, *rotated.envs):
        assert env.sealed_key is not None
        assert env.sealed_key.ciphertext not in dumped
        assert env.key_fingerprint not in dumped
    assert api_key not in dumped


def test_history_filters_and_limit(store: Store, shop: str) -> None:
    store.put(r.model(shop, "a"), expected_version=0, actor=ACTOR)
    store.put(r.model(shop, "b"), expected_version=0, actor=ACTOR)
    store.put(r.agent(shop, "x", model="a"), expected_version=0, actor=ACTOR)
    every = store.history(product=shop)
    assert [(e.kind, e.tag) for e in every] == [
        (Kind.AGENT, "x"),
        (Kind.MODEL, "b"),
        (Kind.MODEL, "a"),
        (Kind.PRODUCT, shop),
    ]
    assert all(e.product == shop for e in every)
    assert [e.tag for e in store.history(product=shop, kind=Kind.MODEL)] == ["b", "a"]
    assert [e.tag for e in store.history(product=shop, tag="a")] == ["a"]
    assert [e.tag for e in store.history(product=shop, limit=2)] == ["x", "b"]
    assert len(store.history(kind=Kind.PRODUCT, limit=1000)) >= 1
    assert all(e.kind == Kind.PRODUCT for e in store.history(kind=Kind.PRODUCT))


# -- concurrency ----------------------------------------------------------------------------


def _race(store: Store, shop: str, rnd: int, writers: int) -> tuple[int, list[str], int]:
    """One round: every writer appends its mark to what it read, from the same version."""
    seen = store.get(Kind.MODEL, shop, "hot")
    base = seen.record
    assert isinstance(base, LlmModelRecord)
    barrier = threading.Barrier(writers)
    wins: list[str] = []
    conflicts: list[str] = []
    failures: list[BaseException] = []

    def write(i: int) -> None:
        mine = f"r{rnd}-w{i}"
        change = replaced(base, stopSequences=[*(base.stop_sequences or []), mine])
        barrier.wait()
        try:
            store.put(change, expected_version=seen.version, actor=f"writer-{i}")
            wins.append(mine)
        except Conflict as exc:
            if f"'{shop}/hot'" not in str(exc):
                failures.append(exc)
            conflicts.append(mine)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    return seen.version, wins, len(conflicts)


def test_racing_writers_exactly_one_wins_each_round(store: Store, shop: str) -> None:
    """8 threads update one record from the same read version; no update is ever lost."""
    writers, rounds = 8, 5
    store.put(r.model(shop, "hot", stopSequences=[]), expected_version=0, actor=ACTOR)
    for rnd in range(rounds):
        read_version, wins, conflicts = _race(store, shop, rnd, writers)
        assert len(wins) == 1, f"round {rnd}: winners {wins}"
        assert conflicts == writers - 1
        now = store.get(Kind.MODEL, shop, "hot")
        assert now.version == read_version + 1
        assert now.record.stop_sequences[-1] == wins[0]  # type: ignore[union-attr,index]

    final = store.get(Kind.MODEL, shop, "hot")
    assert final.version == rounds + 1
    assert isinstance(final.record, LlmModelRecord) and final.record.stop_sequences is not None
    stops = final.record.stop_sequences
    assert [s.split("-")[0] for s in stops] == [f"r{i}" for i in range(rounds)]
    assert len(store.history(product=shop, kind=Kind.MODEL, tag="hot")) == rounds + 1


def test_racing_creates_make_one_record(store: Store, shop: str) -> None:
    writers = 8
    barrier = threading.Barrier(writers)
    results: list[str] = []

    def create(i: int) -> None:
        barrier.wait()
        try:
            store.put(r.product(f"{shop}-race", name=f"W{i}"), expected_version=0, actor=ACTOR)
            results.append("created")
        except AlreadyExists:
            results.append("exists")

    threads = [threading.Thread(target=create, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["created"] + ["exists"] * (writers - 1)
    assert store.get(Kind.PRODUCT, f"{shop}-race", f"{shop}-race").version == 1


def test_record_types_round_trip_through_list(store: Store, shop: str) -> None:
    store.put(r.model(shop, "m"), expected_version=0, actor=ACTOR)
    store.put(r.agent(shop, "a", model="m"), expected_version=0, actor=ACTOR)
    assert isinstance(store.list(Kind.PRODUCT, shop)[0].record, ProductRecord)
    assert isinstance(store.list(Kind.MODEL, shop)[0].record, LlmModelRecord)
    assert isinstance(store.list(Kind.AGENT, shop)[0].record, AgentRecord)
