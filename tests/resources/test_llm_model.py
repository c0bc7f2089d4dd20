"""The LlmModel core in process on SQLite: sealing to the anchor only, no re-seal of an
unchanged key, pins for a product managed elsewhere, keys replaced out of band, lost answers."""

from __future__ import annotations

import pytest

from llmreg.deploy import DeployContext
from llmreg.deploy.llm_model import REPLACED_OUT_OF_BAND
from llmreg.domain import LlmModelRecord
from llmreg.errors import LlmregError
from llmreg.sealing import PrivateKey, open_sealed
from llmreg.store import Kind
from llmreg.store.base import Store
from tests.harness.tamper import replace_api_key, swap_public_keys

from .engine import CheckFailed
from .stack import API_KEY, model_props, product_props, resources


def _model(store: Store) -> LlmModelRecord:
    record = store.get(Kind.MODEL, "shop", "sonnet").record
    assert isinstance(record, LlmModelRecord)
    return record


def _open(store: Store, private: str, env: str = "dev") -> str:
    sealed = _model(store).env(env)
    assert sealed is not None
    return open_sealed(
        sealed.sealed_keys(), [PrivateKey(private)], product="shop", env=env, model_tag="sonnet"
    )


def test_keys_are_sealed_to_the_products_keys_and_never_stored_in_plaintext(
    ctx: DeployContext, store: Store
) -> None:
    shop, model, _ = resources(ctx)
    shop.up(product_props())
    model.up(model_props(shop))
    assert _open(store, shop.state["privateKeys"]["dev"]) == API_KEY
    assert API_KEY not in _model(store).model_dump_json()
    assert model.state["sealedTo"] == {env: [shop.state["keyIds"][env]] for env in ("dev", "prd")}
    assert model.state["maxTokens"] == 4096 and isinstance(model.state["maxTokens"], int)
    assert _model(store).owner == model.state["owner"]


def test_an_unchanged_key_is_not_sealed_again(ctx: DeployContext, store: Store) -> None:
    shop, model, _ = resources(ctx)
    shop.up(product_props())
    model.up(model_props(shop))
    before = _model(store)
    assert model.preview_changes(model_props(shop, temperature=0.3)) == ["temperature"]
    model.up(model_props(shop, temperature=0.3))
    after = _model(store)
    assert after.temperature == 0.3
    assert [e.key_fingerprint for e in after.envs] == [e.key_fingerprint for e in before.envs]
    model.up(model_props(shop, apiKeys={"dev": "sk-new", "prd": API_KEY + "-prd"}))
    changed = _model(store)
    assert changed.envs[0].key_fingerprint != after.envs[0].key_fingerprint
    assert changed.envs[1].key_fingerprint == after.envs[1].key_fingerprint


def test_a_staged_rotation_seals_to_both_pairs(ctx: DeployContext, store: Store) -> None:
    shop, model, _ = resources(ctx)
    shop.up(product_props())
    model.up(model_props(shop))
    shop.up(product_props(keyRotations={"dev": {"generation": 1}}))
    assert "sealedTo" in model.preview_changes(model_props(shop))
    model.up(model_props(shop))
    assert len(_model(store).env("dev").sealed_keys()) == 2  # type: ignore[union-attr]
    assert _open(store, shop.state["privateKeys"]["dev"]) == API_KEY
    assert _open(store, shop.state["nextPrivateKeys"]["dev"]) == API_KEY


def test_a_product_managed_elsewhere_is_pinned_at_the_first_deploy(
    ctx: DeployContext, store: Store
) -> None:
    shop, model, _ = resources(ctx)
    shop.up(product_props())
    model.up(model_props(None))  # the product is named by its tag only
    assert model.inputs["sealingKeys"] == shop.state["sealingKeys"]
    assert model.preview_changes(model_props(None)) == []

    attacker = PrivateKey.generate()
    swap_public_keys(store, ["dev", "prd"], attacker)
    with pytest.raises(CheckFailed) as refused:
        model.check(model_props(None))
    (problem,) = refused.value.failures
    assert problem.path == "sealingKeys" and attacker.key_id in problem.message
    assert "pinned at this model's first deploy" in problem.message


def test_a_missing_product_fails_the_check(ctx: DeployContext) -> None:
    _, model, _ = resources(ctx)
    with pytest.raises(CheckFailed) as failed:
        model.check(model_props(None))
    assert [p.path for p in failed.value.failures] == ["product"]


def test_refresh_sees_a_key_replaced_out_of_band(ctx: DeployContext, store: Store) -> None:
    shop, model, _ = resources(ctx)
    shop.up(product_props())
    model.up(model_props(shop))
    replace_api_key(store, "sk-intruder")
    model.refresh()
    assert model.state["apiKeys"]["dev"] == REPLACED_OUT_OF_BAND
    assert model.state["apiKeys"]["prd"] == API_KEY + "-prd"
    assert "apiKeys" in model.preview_changes(model_props(shop))
    model.up(model_props(shop))
    assert _open(store, shop.state["privateKeys"]["dev"]) == API_KEY


def test_a_lost_update_with_a_new_key_converges(ctx: DeployContext, store: Store) -> None:
    shop, model, _ = resources(ctx)
    shop.up(product_props())
    model.up(model_props(shop))
    from .engine import Resource

    lost = Resource(model.core, ctx, "sonnet", model.id, dict(model.inputs), dict(model.state))
    new_keys = {"dev": "sk-rotated", "prd": API_KEY + "-prd"}
    lost.up(model_props(shop, apiKeys=new_keys, temperature=0.2))
    assert model.up(model_props(shop, apiKeys=new_keys, temperature=0.2))
    assert _open(store, shop.state["privateKeys"]["dev"]) == "sk-rotated"
    assert model.preview_changes(model_props(shop, apiKeys=new_keys, temperature=0.2)) == []

    current = store.get(Kind.MODEL, "shop", "sonnet")
    store.put(
        _model(store).model_copy(update={"name": "Theirs"}),
        expected_version=current.version,
        actor="cli:someone",
    )
    with pytest.raises(LlmregError, match="run `pulumi refresh`"):
        model.up(model_props(shop, temperature=0.9, apiKeys=new_keys))
