"""Records changed behind Pulumi's back: refresh shows the drift (including an API key replaced
out of band, seen through its fingerprint) and the next up restores the declared state; records
made outside the stack are taken over only with adopt=True."""

from __future__ import annotations

import pytest

from llmreg.domain import (
    AgentRecord,
    LlmModelRecord,
    ModelEnvRecord,
    ProductEnv,
    ProductRecord,
)
from llmreg.errors import NotFound
from llmreg.sealing import PrivateKey, open_sealed
from llmreg.store import Kind
from tests.harness.pulumi_engine import WorkspaceFactory
from tests.harness.tamper import replace_api_key

from .llmreg_e2e import Registry, model, ops, preview_json, product, random_key, workspace

pytestmark = pytest.mark.e2e


def test_drift_shows_on_refresh_and_up_restores(
    pulumi_workspace: WorkspaceFactory, registry: Registry
) -> None:
    dev_key, prd_key, intruder = random_key("dev"), random_key("prd"), random_key("intruder")
    ws = workspace(
        pulumi_workspace, "lifecycle.py", registry, secrets={"devKey": dev_key, "prdKey": prd_key}
    )
    ws.up()
    store = registry.store()

    # behind Pulumi's back: a setting, an API key, an agent's prompt, and a deleted agent
    replaced = replace_api_key(store, intruder, actor="cli:intruder", temperature=1.1)
    agent = store.get(Kind.AGENT, "shop", "support")
    assert isinstance(agent.record, AgentRecord)
    store.put(
        agent.record.model_copy(update={"system_prompt": "Be rude."}),
        expected_version=agent.version,
        actor="cli:intruder",
    )
    store.delete(Kind.AGENT, "shop", "summarizer", actor="cli:intruder")

    # an up that would overwrite the changed record refuses (optimistic concurrency)
    ws.config_set("temperature", "0.5")
    lost = ws.up(expect_ok=False)
    assert lost.returncode != 0
    assert "model 'shop/sonnet' changed in the registry since the last pulumi up" in lost.output
    assert "pulumi refresh" in lost.output
    assert model(store, "sonnet").temperature == 1.1
    ws.run("config", "rm", "temperature")

    refresh = ws.refresh("--diff")
    out = refresh.stdout
    assert "~ pulumi-python:dynamic/llmreg:LlmModel: (update)" in out, refresh.transcript()
    assert "temperature" in out and "1.1" in out
    assert "Be rude." in out
    assert "- pulumi-python:dynamic/llmreg:Agent: (delete)" in out
    assert "apiKeys" in out  # the replaced key shows as a (secret) change
    assert intruder not in out and dev_key not in out
    state = ws.stack_export()["deployment"]["resources"]
    sonnet_state = next(r for r in state if r["urn"].endswith("::sonnet"))
    assert sonnet_state["outputs"]["keyFingerprints"]["dev"] == replaced
    assert sonnet_state["outputs"]["temperature"] == 1.1

    assert ops(preview_json(ws)) == {
        "sonnet": "update",
        "support": "update",
        "summarizer": "create",
    }
    ws.up()
    restored = model(store, "sonnet")
    assert restored.temperature == 0.7
    assert restored.envs[0].key_fingerprint != replaced
    private_keys = ws.outputs(show_secrets=True)["private_keys"]
    assert (
        open_sealed(
            restored.envs[0].sealed_key,  # type: ignore[arg-type]
            [PrivateKey(private_keys["dev"])],
            product="shop",
            env="dev",
            model_tag="sonnet",
        )
        == dev_key
    )
    assert store.get(Kind.AGENT, "shop", "support").record.system_prompt == "You help customers."  # type: ignore[union-attr]
    assert store.get(Kind.AGENT, "shop", "summarizer").record.model == "local"  # type: ignore[union-attr]
    ws.preview("--expect-no-changes")
    ws.refresh("--expect-no-changes")
    for needle in (dev_key, prd_key, intruder, *private_keys.values()):
        assert ws.find_leaks(needle) == []
        assert registry.leaks(needle) == []


def test_adopt_takes_over_existing_records(
    pulumi_workspace: WorkspaceFactory, registry: Registry
) -> None:
    store = registry.store()
    old_pair = PrivateKey.generate()
    envs = [
        ProductEnv(slug=s, key_id=old_pair.key_id, public_key=old_pair.public_key.text)
        for s in ("dev", "prd")
    ]
    store.put(
        ProductRecord(tag="shop", name="Old Shop", envs=envs), expected_version=0, actor="cli:ops"
    )
    store.put(
        LlmModelRecord(
            product="shop",
            tag="sonnet",
            name="Old",
            provider="custom",
            model="old",
            max_tokens=10,
            envs=[ModelEnvRecord(slug="dev", base_url="http://old.internal")],
        ),
        expected_version=0,
        actor="cli:ops",
    )
    dev_key, prd_key = random_key("dev"), random_key("prd")
    ws = workspace(
        pulumi_workspace, "lifecycle.py", registry, secrets={"devKey": dev_key, "prdKey": prd_key}
    )

    refused = ws.up(expect_ok=False)
    assert refused.returncode != 0
    assert "product 'shop' already exists in the registry" in refused.output, refused.transcript()
    assert "adopt=True" in refused.output
    assert product(store).name == "Old Shop" and model(store, "sonnet").name == "Old"
    with pytest.raises(NotFound):
        store.get(Kind.AGENT, "shop", "support")

    ws.config_set("adopt", "true")
    ws.up()
    adopted = product(store)
    assert adopted.name == "Shop" and adopted.env_slugs() == ["dev", "stg", "prd"]
    sonnet = model(store, "sonnet")
    assert (sonnet.name, sonnet.provider, sonnet.max_tokens) == ("Claude Sonnet", "anthropic", 4096)
    assert registry.actor_ok(store.get(Kind.MODEL, "shop", "sonnet").updated_by)
    ws.preview("--expect-no-changes")

    # changing a tag replaces the model; the agent that names it is updated in the same up
    ws.config_set("sonnetTag", "sonnet-4")
    plan = preview_json(ws)
    assert ops(plan) == {"sonnet": "replace", "support": "update"}, ops(plan)
    ws.up()
    with pytest.raises(NotFound):
        store.get(Kind.MODEL, "shop", "sonnet")
    assert model(store, "sonnet-4").provider == "anthropic"
    assert store.get(Kind.AGENT, "shop", "support").record.model == "sonnet-4"  # type: ignore[union-attr]
    ws.destroy()
    with pytest.raises(NotFound):
        store.get(Kind.PRODUCT, "shop", "shop")
