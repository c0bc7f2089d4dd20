"""The native provider plugin `pulumi-resource-llmreg` on the real engine: the Python e2e
lifecycle as a YAML program and as a TypeScript program (through the SDK generated from the
plugin's schema), `pulumi import` of a record made outside the stack, the committed TypeScript
SDK is what the schema generates, and no secret ever appears in plain text."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from llmreg.domain import LlmModelRecord, ModelEnvRecord
from llmreg.sealing import PrivateKey, open_sealed
from llmreg.store import Kind
from tests.harness.pulumi_engine import PulumiWorkspace, WorkspaceFactory

from .llmreg_e2e import PROGRAMS, Registry, model, ops, preview_json, random_key, snapshot

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PLUGIN = Path(sys.prefix) / "bin" / "pulumi-resource-llmreg"
VERSION = "0.1.0"


def _workspace(
    factory: WorkspaceFactory, registry: Registry, runtime: str, **secrets: str
) -> PulumiWorkspace:
    if runtime == "yaml":
        program: Path = PROGRAMS / "yaml-lifecycle"
    else:
        program = PROGRAMS / "ts-lifecycle"
    ws = factory(
        program,
        runtime=runtime,
        project="llmreg-e2e",
        stack="test",
        env=registry.env,
        config=registry.config,
        secrets={**registry.secrets, **secrets},
        init=False,
    )
    if runtime == "nodejs":
        shutil.copytree(REPO / "sdk" / "nodejs", ws.project_dir / "sdk")
    ws.install_plugin("llmreg", VERSION, PLUGIN)
    ws.run("stack", "init", "test")
    for key, value in registry.config.items():
        ws.config_set(key, value)
    for key, value in {**registry.secrets, **secrets}.items():
        ws.config_set(key, value, secret=True)
    return ws


@pytest.mark.parametrize("runtime", ["yaml", "nodejs"])
def test_lifecycle(pulumi_workspace: WorkspaceFactory, registry: Registry, runtime: str) -> None:
    dev_key, prd_key = random_key("dev"), random_key("prd")
    ws = _workspace(pulumi_workspace, registry, runtime, devKey=dev_key, prdKey=prd_key)
    store = registry.store()

    preview = ws.preview()
    for kind in ("Product", "LlmModel", "Agent"):
        assert f"llmreg:index:{kind}" in preview.stdout, preview.transcript()
    assert store.list(Kind.PRODUCT) == [], "a preview writes nothing"

    ws.up()
    sonnet = model(store, "sonnet")
    assert [e.slug for e in sonnet.envs] == ["dev", "prd"] and sonnet.max_tokens == 4096
    private_keys = ws.outputs(show_secrets=True)["privateKeys"]
    opened = open_sealed(
        sonnet.env("dev").sealed_keys(),  # type: ignore[union-attr]
        [PrivateKey(private_keys["dev"])],
        product="shop",
        env="dev",
        model_tag="sonnet",
    )
    assert opened == dev_key
    outputs = ws.outputs()
    assert outputs["privateKeys"] == "[secret]"
    assert outputs["supportResolved"]["dev"]["provenance"] == {
        "temperature": "env",
        "maxTokens": "agent",
    }
    assert store.get(Kind.AGENT, "shop", "support").record.owner.endswith("::support")  # type: ignore[union-attr]

    ws.preview("--expect-no-changes")
    ws.refresh("--expect-no-changes")
    before = snapshot(store)

    # a model change shows the agent's resolved change in the same preview
    ws.config_set("temperature", "0.2")
    plan = preview_json(ws)
    assert ops(plan) == {"sonnet": "update", "support": "update"}, ops(plan)
    assert snapshot(store) == before, "a preview writes nothing"
    ws.up()
    assert model(store, "sonnet").temperature == 0.2
    assert ws.outputs()["supportResolved"]["prd"]["temperature"] == 0.2
    ws.preview("--expect-no-changes")

    export = ws.stack_export()
    ws.destroy()
    assert store.list(Kind.PRODUCT) == []

    needles = [dev_key, prd_key, *private_keys.values()]
    exported = json.dumps(export)
    for needle in needles:
        assert ws.find_leaks(needle) == [], needle[:8]
        assert registry.leaks(needle) == []
        assert needle not in exported


def test_import_of_a_record_made_outside_the_stack(
    pulumi_workspace: WorkspaceFactory, embedded: Registry
) -> None:
    ws = _workspace(
        pulumi_workspace, embedded, "yaml", devKey=random_key("dev"), prdKey=random_key("prd")
    )
    ws.up()
    store = embedded.store()
    local = LlmModelRecord(
        product="shop",
        tag="local",
        name="Local Llama",
        provider="custom",
        model="llama-3.1-70b",
        temperature=0.2,
        envs=[ModelEnvRecord(slug="dev", base_url="http://llama.internal/v1")],
    )
    store.put(local, expected_version=0, actor="cli:ops")

    imported = ws.run("import", "llmreg:index:LlmModel", "local", "shop/local", "--yes")
    assert "llmreg:index:LlmModel" in imported.stdout and "local" in imported.stdout
    main = ws.project_dir / "Main.yaml"
    main.write_text(
        main.read_text().replace(
            "outputs:",
            "  local:\n"
            "    type: llmreg:index:LlmModel\n"
            "    properties:\n"
            "      product: shop\n"
            "      tag: local\n"
            "      name: Local Llama\n"
            "      provider: custom\n"
            "      model: llama-3.1-70b\n"
            "      temperature: 0.2\n"
            "      envs:\n"
            "        - slug: dev\n"
            "          baseUrl: http://llama.internal/v1\n"
            "outputs:",
        )
    )
    assert store.get(Kind.MODEL, "shop", "local").version == 1, "import wrote nothing"
    assert ops(preview_json(ws)) == {"local": "update"}  # the first up takes the record over
    ws.up()
    owner = store.get(Kind.MODEL, "shop", "local").record.owner
    assert owner is not None and owner.endswith("llmreg:index:LlmModel::local")
    ws.preview("--expect-no-changes")


def test_the_committed_typescript_sdk_is_what_the_schema_generates(
    pulumi_bin: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "LLMREG_PULUMI_BIN": str(pulumi_bin), "PYTHON": sys.executable}
    subprocess.run(
        [str(REPO / "scripts" / "gen-sdk"), str(tmp_path)], env=env, check=True, timeout=300
    )
    committed = REPO / "sdk"
    for generated in sorted(p for p in tmp_path.rglob("*") if p.is_file()):
        relative = generated.relative_to(tmp_path)
        assert (committed / relative).read_bytes() == generated.read_bytes(), (
            f"sdk/{relative} is stale: run scripts/gen-sdk"
        )
    extra = {
        p.relative_to(committed)
        for p in committed.rglob("*")
        if p.is_file() and not (tmp_path / p.relative_to(committed)).exists()
    }
    assert not extra, f"sdk/ holds files the schema no longer generates: {extra}"


def test_errors_are_one_line(pulumi_workspace: WorkspaceFactory, embedded: Registry) -> None:
    ws = _workspace(
        pulumi_workspace, embedded, "yaml", devKey=random_key("dev"), prdKey=random_key("prd")
    )
    ws.config_set("temperature", "5")
    invalid = ws.preview(expect_ok=False)
    assert "temperature" in invalid.output and "out of range" in invalid.output
    ws.config_set("temperature", "0.7")

    owner = PrivateKey.generate()
    from llmreg.domain import ProductEnv, ProductRecord

    envs = [ProductEnv(slug=s, key_id=owner.key_id, public_key=owner.public_key.text)
            for s in ("dev", "prd")]  # fmt: skip
    embedded.store().put(
        ProductRecord(tag="shop", name="Theirs", envs=envs), expected_version=0, actor="cli:ops"
    )
    refused = ws.up(expect_ok=False)
    assert "product 'shop' already exists in the registry (made outside Pulumi)" in refused.output
    assert "set adopt=True on the Product" in refused.output
    for result in (invalid, refused):
        assert "Traceback" not in result.output and 'File "' not in result.output, result.output
