"""The Product core in process on SQLite: key pairs made in check, staged rotation, a swapped
registry key refused, ownership-based takeover, lost answers and env removal."""

from __future__ import annotations

import pytest

from llmreg.deploy import DeployContext, LlmModelCore, ProductCore
from llmreg.domain import ProductRecord
from llmreg.errors import LlmregError
from llmreg.sealing import PrivateKey
from llmreg.store import Kind
from llmreg.store.base import Store
from tests.harness.tamper import swap_public_keys

from .engine import CheckFailed, Resource
from .stack import model_props, product_props, resources


def _record(store: Store) -> ProductRecord:
    record = store.get(Kind.PRODUCT, "shop", "shop").record
    assert isinstance(record, ProductRecord)
    return record


def test_create_writes_public_keys_and_the_owner_only(ctx: DeployContext, store: Store) -> None:
    shop = Resource(ProductCore(), ctx, "shop")
    assert shop.up(product_props())
    record = _record(store)
    private = shop.state["privateKeys"]
    assert set(private) == {"dev", "prd"}
    for env in record.envs:
        assert env.public_key == PrivateKey(private[env.slug]).public_key.text
        assert env.key_id == shop.state["keyIds"][env.slug]
    assert record.owner is not None and record.owner == shop.state["owner"]
    assert record.owner.endswith("::shop")
    assert not any(k in record.model_dump_json() for k in private.values())
    assert shop.state["sealingKeys"] == {e.slug: [e.public_key] for e in record.envs}


def test_keys_are_stable_and_nothing_changes_without_a_change(ctx: DeployContext) -> None:
    shop = Resource(ProductCore(), ctx, "shop")
    shop.up(product_props())
    keys = shop.state["privateKeys"]
    assert shop.preview_changes(product_props()) == []
    assert not shop.up(product_props())
    shop.refresh()
    assert shop.preview_changes(product_props()) == []
    assert shop.state["privateKeys"] == keys


def test_rotation_stages_then_retires(ctx: DeployContext, store: Store) -> None:
    shop = Resource(ProductCore(), ctx, "shop")
    shop.up(product_props())
    old = shop.state["privateKeys"]["prd"]
    staged = product_props(keyRotations={"prd": {"generation": 1, "phase": "stage"}})
    assert "nextPublicKeys" in shop.preview_changes(staged)
    shop.up(staged)
    new = shop.state["nextPrivateKeys"]["prd"]
    prd = _record(store).env("prd")
    assert prd is not None and prd.key_id == PrivateKey(old).key_id
    assert prd.next_key_id == PrivateKey(new).key_id
    assert shop.state["sealingKeys"]["prd"] == prd.public_keys()
    assert shop.state["privateKeys"]["prd"] == old  # the old pair still works

    shop.up(product_props(keyRotations={"prd": {"generation": 1, "phase": "retire"}}))
    prd = _record(store).env("prd")
    assert prd is not None and prd.key_id == PrivateKey(new).key_id and prd.next_key_id is None
    assert shop.state["privateKeys"]["prd"] == new and shop.state["nextPrivateKeys"] == {}


@pytest.mark.parametrize(
    ("first", "then", "message"),
    [
        ({"generation": 1}, {"generation": 2}, "generation 1 is still staged"),
        ({"generation": 1, "phase": "retire"}, {"generation": 1}, "retired already"),
        ({"generation": 2}, {"generation": 1}, "can only go up"),
        (None, {"generation": 1, "phase": "retire"}, "stage generation 1 first"),
    ],
)
def test_rotation_steps_out_of_order_are_refused(
    ctx: DeployContext, first: dict[str, object] | None, then: dict[str, object], message: str
) -> None:
    shop = Resource(ProductCore(), ctx, "shop")
    shop.up(product_props())
    if first is not None:
        if first.get("phase") == "retire":
            shop.up(product_props(keyRotations={"prd": {**first, "phase": "stage"}}))
        shop.up(product_props(keyRotations={"prd": first}))
    with pytest.raises(CheckFailed) as failed:
        shop.check(product_props(keyRotations={"prd": then}))
    (problem,) = failed.value.failures
    assert problem.path == "keyRotations.prd" and message in problem.message


def test_a_swapped_registry_key_is_refused_until_restored(
    ctx: DeployContext, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = Resource(ProductCore(), ctx, "shop")
    shop.up(product_props())
    attacker = PrivateKey.generate()
    swap_public_keys(store, ["dev"], attacker)
    for operation in (lambda: shop.preview_changes(product_props()), shop.refresh):
        with pytest.raises(LlmregError, match=attacker.key_id) as refused:
            operation()
        assert shop.state["keyIds"]["dev"] in str(refused.value)
        assert "LLMREG_RESTORE_KEYS=shop" in str(refused.value)
    monkeypatch.setenv("LLMREG_RESTORE_KEYS", "shop")
    assert shop.up(product_props())
    assert _record(store).env("dev").key_id == shop.state["keyIds"]["dev"]  # type: ignore[union-attr]


def test_a_lost_create_is_taken_over_by_its_owner_only(ctx: DeployContext, store: Store) -> None:
    first = Resource(ProductCore(), ctx, "shop")
    first.up(product_props())  # its answer is "lost": the engine never records it
    again = Resource(ProductCore(), ctx, "shop")
    assert again.up(product_props())
    assert _record(store).env("dev").key_id == again.state["keyIds"]["dev"]  # type: ignore[union-attr]
    assert len([e for e in store.history() if e.action == "create"]) == 1

    stranger = Resource(ProductCore(), ctx, "other-name")
    with pytest.raises(LlmregError, match=r"owned by urn:pulumi:test::unit::.*::shop\): set adopt"):
        stranger.up(product_props())
    assert stranger.up(product_props(adopt=True))
    assert _record(store).owner == stranger.state["owner"]


def test_a_lost_update_converges_and_a_foreign_change_is_refused(
    ctx: DeployContext, store: Store
) -> None:
    shop = Resource(ProductCore(), ctx, "shop")
    shop.up(product_props())
    lost = Resource(ProductCore(), ctx, "shop", shop.id, dict(shop.inputs), dict(shop.state))
    lost.up(product_props(name="Renamed"))  # applied, but the engine never heard back
    assert shop.up(product_props(name="Renamed"))
    assert shop.state["version"] == 2 and _record(store).name == "Renamed"

    current = store.get(Kind.PRODUCT, "shop", "shop")
    store.put(
        _record(store).model_copy(update={"name": "Theirs"}),
        expected_version=current.version,
        actor="cli:someone",
    )
    with pytest.raises(LlmregError, match="changed in the registry since the last pulumi up"):
        shop.up(product_props(name="Mine"))


def test_a_record_deleted_outside_pulumi_is_written_again(ctx: DeployContext, store: Store) -> None:
    shop = Resource(ProductCore(), ctx, "shop")
    shop.up(product_props())
    store.delete(Kind.PRODUCT, "shop", "shop", actor="cli:someone")
    shop.up(product_props(name="Back"))
    assert _record(store).name == "Back"


def test_an_env_used_only_by_this_stack_leaves_in_one_up(ctx: DeployContext, store: Store) -> None:
    shop, model, _ = resources(ctx)
    shop.up(product_props(envs=["dev", "stg", "prd"]))
    model.up(
        model_props(shop, envs=[{"slug": "dev"}, {"slug": "stg"}], apiKeys={"dev": "k", "stg": "k"})
    )
    shop.up(product_props(envs=["dev", "prd"]))
    model.up(model_props(shop, envs=[{"slug": "dev"}], apiKeys={"dev": "k"}))
    assert _record(store).env_slugs() == ["dev", "prd"]

    # a model that another stack manages uses prd: prd cannot leave the product
    other = model_props(shop, tag="theirs", envs=[{"slug": "prd"}], apiKeys={"prd": "k"})
    theirs = Resource(LlmModelCore(), ctx, "theirs")
    theirs.core.create(
        ctx, {**theirs.check(other), "owner": "urn:pulumi:prod::elsewhere::x::theirs"}
    )
    with pytest.raises(LlmregError, match=r"model 'shop/theirs'.*does not manage"):
        shop.up(product_props(envs=["dev"]))
