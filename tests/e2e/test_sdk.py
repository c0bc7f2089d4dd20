"""The Python SDK's conventions on the real engine: static get() of each resource type, and one
program writing to two registries without any token in its resources or its `__provider`."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from llmreg.store import Kind, open_store
from tests.harness.pulumi_engine import WorkspaceFactory

from .llmreg_e2e import (
    Registry,
    deployed_lifecycle,
    model,
    product,
    random_key,
    server_registry,
    workspace,
)

pytestmark = pytest.mark.e2e


def test_get_reads_records_another_stack_manages(
    pulumi_workspace: WorkspaceFactory, registry: Registry
) -> None:
    owner = deployed_lifecycle(pulumi_workspace, registry)
    store = registry.store()
    before = store.history(limit=10_000)

    reader = workspace(pulumi_workspace, "read_existing.py", registry)
    reader.up()
    out = reader.outputs()
    assert out["product_name"] == product(store).name
    assert out["public_keys"] == {e.slug: e.public_key for e in product(store).envs}
    sonnet = model(store, "sonnet")
    assert out["model_fingerprints"] == {e.slug: e.key_fingerprint for e in sonnet.envs}
    assert out["model_max_tokens"] == 4096
    assert out["support_prompt"] == "You help customers."
    assert out["support_resolved"] == owner.outputs()["support_resolved"]
    reader.preview("--expect-no-changes")
    reader.destroy()  # resources read with get() are not deleted
    assert store.history(limit=10_000) == before, "reading wrote nothing"
    assert product(store).name == out["product_name"]


def test_one_program_two_registries(
    pulumi_workspace: WorkspaceFactory, embedded: Registry, tmp_path: Path
) -> None:
    with server_registry(tmp_path / "eu") as eu:
        token = eu.admin_token
        assert token is not None
        registries = {"eu": {"url": eu.server_url, "token": token}}
        ws = workspace(
            pulumi_workspace, "two_registries.py", embedded, secrets={"prdKey": random_key("p")}
        )
        ws.config_set("llmreg:registries", json.dumps(registries), secret=True)
        ws.up()
        default, europe = embedded.store(), open_store(eu.db_url)
        for store, name in ((default, "Shop"), (europe, "Shop-eu")):
            assert product(store).name == name
            assert store.get(Kind.AGENT, "shop", "support").record.model == "sonnet"  # type: ignore[union-attr]
        ws.preview("--expect-no-changes")
        export = ws.stack_export()
        for resource in export["deployment"]["resources"]:
            inputs = resource.get("inputs", {})
            if resource["urn"].endswith("-eu"):
                assert inputs["registry"] == "eu"
            provider = inputs.get("__provider")
            if provider:
                assert isinstance(provider, str)
                decoded = base64.b64decode(provider)
                assert token.encode() not in decoded and b"http" not in decoded
        assert ws.find_leaks(token) == []
        ws.destroy()
        assert europe.list(Kind.PRODUCT) == [] and default.list(Kind.PRODUCT) == []
