"""The whole life of a stack on the real engine, against the embedded store and a real
``llmreg serve``: preview, up, no phantom diffs, a model change reaching the agent's
``resolved`` in the same preview, API-key and env-key rotation, destroy, and a leak scan of
everything that was written or printed."""

from __future__ import annotations

import base64
import json

import pytest

from llmreg.domain import AgentRecord
from llmreg.errors import NotFound
from llmreg.sealing import PrivateKey, open_sealed
from llmreg.store import Kind
from tests.harness.pulumi_engine import WorkspaceFactory

from .llmreg_e2e import (
    Registry,
    model,
    ops,
    preview_json,
    product,
    random_key,
    snapshot,
    step,
    workspace,
)

pytestmark = pytest.mark.e2e

TYPES = ("Product", "LlmModel", "Agent")


def _open(registry: Registry, private_keys: dict[str, str], env: str, tag: str = "sonnet") -> str:
    sealed = model(registry.store(), tag).env(env)
    assert sealed is not None and sealed.sealed_key is not None
    return open_sealed(
        sealed.sealed_keys(),
        [PrivateKey(private_keys[env])],
        product="shop",
        env=env,
        model_tag=tag,
    )


def test_lifecycle(pulumi_workspace: WorkspaceFactory, registry: Registry) -> None:
    dev_key, prd_key, new_dev_key = random_key("dev"), random_key("prd"), random_key("dev2")
    marker = "Shop-marker-" + random_key("m")[3:15]  # a non-secret value: the scan's control
    ws = workspace(
        pulumi_workspace,
        "lifecycle.py",
        registry,
        config={"productName": marker, "modelDescription": "General purpose"},
        secrets={"devKey": dev_key, "prdKey": prd_key},
    )
    store = registry.store()

    # preview: the plan names the readable type tokens and writes nothing
    preview = ws.preview()
    for t in TYPES:
        assert f"pulumi-python:dynamic/llmreg:{t}" in preview.stdout, preview.transcript()
    assert store.list(Kind.PRODUCT) == []

    # up: every record is in the registry, keys sealed, written by this stack
    ws.up()
    shop = product(store)
    assert shop.name == marker and shop.env_slugs() == ["dev", "stg", "prd"]
    sonnet = model(store, "sonnet")
    assert sonnet.description == "General purpose" and sonnet.temperature == 0.7
    assert sonnet.max_tokens == 4096
    assert [e.slug for e in sonnet.envs] == ["dev", "prd"]
    assert all(e.sealed_key and e.key_fingerprint for e in sonnet.envs)
    assert model(store, "local").envs[1].active is False
    agent = store.get(Kind.AGENT, "shop", "support").record
    assert isinstance(agent, AgentRecord) and agent.model == "sonnet"
    assert agent.tools[0].name == "lookup_order"
    assert store.get(Kind.AGENT, "shop", "summarizer").record.model == "local"  # type: ignore[union-attr]
    actors = {e.actor for e in store.history(product="shop")}
    assert actors and all(registry.actor_ok(a) for a in actors), actors

    outputs = ws.outputs()
    assert outputs["private_keys"] == "[secret]"
    resolved = outputs["support_resolved"]
    assert set(resolved) == {"dev", "prd"}
    assert resolved["dev"]["temperature"] == 0.3
    assert resolved["dev"]["provenance"] == {"temperature": "env", "maxTokens": "agent"}
    assert resolved["prd"] == {
        "provider": "anthropic",
        "model": "claude-sonnet-4-20250514",
        "baseUrl": "https://llm-gw.internal/anthropic",
        "temperature": 0.7,
        "maxTokens": 2000,
        "provenance": {"temperature": "model", "maxTokens": "agent"},
    }
    # the inactive prd env of the custom model is left out
    assert set(outputs["summarizer_resolved"]) == {"dev"}
    assert outputs["summarizer_resolved"]["dev"]["stopSequences"] == ["END"]

    secret_outputs = ws.outputs(show_secrets=True)
    private_keys = secret_outputs["private_keys"]
    assert set(private_keys) == {"dev", "stg", "prd"}
    assert _open(registry, private_keys, "dev") == dev_key
    assert _open(registry, private_keys, "prd") == prd_key

    # no phantom diffs
    ws.preview("--expect-no-changes")
    ws.refresh("--expect-no-changes")
    before = snapshot(store)

    # change: a model temperature change shows the agent's resolved change in the same preview;
    # removing the description removes it from the registry
    ws.config_set("temperature", "0.3")
    ws.run("config", "rm", "modelDescription")
    plan = preview_json(ws)
    assert step(plan, "sonnet")["op"] == "update"
    agent_step = step(plan, "support")
    assert agent_step["op"] == "update"
    old_res = agent_step["oldState"]["inputs"]["resolved"]
    new_res = agent_step["newState"]["inputs"]["resolved"]
    assert (old_res["prd"]["temperature"], new_res["prd"]["temperature"]) == (0.7, 0.3)
    assert (
        new_res["dev"]["temperature"] == 0.3
        and new_res["dev"]["provenance"]["temperature"] == "env"
    )
    assert ops(plan) == {"sonnet": "update", "support": "update"}
    assert snapshot(store) == before, "preview must not write"

    ws.up()
    sonnet2 = model(store, "sonnet")
    assert sonnet2.temperature == 0.3 and sonnet2.description is None
    # unchanged keys are not re-sealed: fingerprints do not churn
    assert [e.key_fingerprint for e in sonnet2.envs] == [e.key_fingerprint for e in sonnet.envs]
    assert ws.outputs()["support_resolved"]["prd"]["temperature"] == 0.3
    ws.preview("--expect-no-changes")

    # API key rotation: an update of the model shown as a secret change; the new key opens
    ws.config_set("devKey", new_dev_key, secret=True)
    rotation = ws.preview("--diff")
    assert "~ pulumi-python:dynamic/llmreg:LlmModel: (update)" in rotation.stdout, (
        rotation.transcript()
    )
    assert "apiKeys" in rotation.stdout and "[secret]" in rotation.stdout
    ws.up()
    sonnet3 = model(store, "sonnet")
    assert sonnet3.envs[0].key_fingerprint != sonnet2.envs[0].key_fingerprint
    assert sonnet3.envs[1].key_fingerprint == sonnet2.envs[1].key_fingerprint
    assert _open(registry, private_keys, "dev") == new_dev_key
    assert ws.outputs()["fingerprints"]["dev"] == sonnet3.envs[0].key_fingerprint

    # env key-pair rotation (Product), in two steps that each name the re-sealed model in the
    # preview: stage (a next pair; the prd key is sealed to both), then retire the old pair.
    old_prd_kid = product(store).env("prd").key_id  # type: ignore[union-attr]
    ws.config_set("prdRotation", "1")
    assert ops(preview_json(ws)) == {"shop": "update", "sonnet": "update"}
    ws.up()
    staged = product(store).env("prd")
    assert staged is not None and staged.key_id == old_prd_kid and staged.next_key_id
    sealed = model(store, "sonnet").envs[1]
    assert [k.key_id for k in sealed.sealed_keys()] == [old_prd_kid, staged.next_key_id]
    secrets_now = ws.outputs(show_secrets=True)
    assert secrets_now["private_keys"] == private_keys
    next_prd = {"prd": secrets_now["next_private_keys"]["prd"]}
    assert _open(registry, private_keys, "prd") == prd_key  # the old key still opens
    assert _open(registry, next_prd, "prd") == prd_key  # and so does the staged one
    ws.preview("--expect-no-changes")

    ws.config_set("prdPhase", "retire")
    assert ops(preview_json(ws)) == {"shop": "update", "sonnet": "update"}
    ws.up()
    new_prd_kid = product(store).env("prd").key_id  # type: ignore[union-attr]
    assert new_prd_kid == staged.next_key_id and product(store).env("prd").next_key_id is None  # type: ignore[union-attr]
    assert [k.key_id for k in model(store, "sonnet").envs[1].sealed_keys()] == [new_prd_kid]
    rotated = ws.outputs(show_secrets=True)["private_keys"]
    assert rotated["dev"] == private_keys["dev"] and rotated["prd"] == next_prd["prd"]
    assert _open(registry, rotated, "prd") == prd_key
    ws.preview("--expect-no-changes")

    # the serialized provider captures neither the store URL nor the token (read at configure)
    export = ws.stack_export()
    ours = [r for r in export["deployment"]["resources"] if "llmreg:" in r["type"]]
    # the state points at the program's line that declared each resource, not into llmreg
    assert ours and all(r["sourcePosition"].startswith("project:///__main__.py#") for r in ours)
    assert not any("llmreg/resources" in json.dumps(r.get("stackTrace")) for r in ours)
    for resource in export["deployment"]["resources"]:
        provider = resource.get("inputs", {}).get("__provider")
        if provider is not None:
            assert isinstance(provider, str), "the serialized provider must not be a secret"
            decoded = base64.b64decode(provider)
            assert b"llmreg:url" not in decoded and b"http" not in decoded

    # destroy: the registry is empty again
    ws.destroy()
    with pytest.raises(NotFound):
        store.get(Kind.PRODUCT, "shop", "shop")
    assert store.list(Kind.MODEL, "shop") == []

    # leak scan: no API key or private key anywhere; the non-secret marker is found (control)
    assert ws.find_leaks(marker), "the scan must find a non-secret value in the state"
    assert registry.leaks(marker), "the scan must find a non-secret value in the registry"
    needles = [dev_key, prd_key, new_dev_key, *private_keys.values(), *rotated.values()]
    needles += list(registry.secrets.values())  # the registry token (server variant)
    exported = json.dumps(export) + json.dumps(ws.stack_export())
    for needle in needles:
        assert ws.find_leaks(needle) == []
        assert registry.leaks(needle) == []
        assert needle not in exported
