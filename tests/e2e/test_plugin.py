"""The native provider plugin `pulumi-resource-llmreg` on the real engine: the Python e2e
lifecycle as a YAML program and as a TypeScript program (through the SDK generated from the
plugin's schema, installed as docs/languages.md says: `npm install --install-links` in a new
project, or `pulumi package add`), `pulumi import` of a record made outside the stack, the
committed TypeScript SDK is what the schema generates, every error is one line, the plugin
installed as documented is used without warnings, and no secret ever appears in plain text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmreg.domain import LlmModelRecord, ModelEnvRecord
from llmreg.sealing import PrivateKey, open_sealed
from llmreg.store import Kind
from tests.harness.pulumi_engine import PulumiResult, PulumiWorkspace, WorkspaceFactory

from .llmreg_e2e import PROGRAMS, Registry, model, ops, preview_json, random_key, snapshot

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SDK = REPO / "sdk" / "nodejs"
PLUGIN = Path(sys.prefix) / "bin" / "pulumi-resource-llmreg"
VERSION = "0.1.0"
#: The engine's warning when it runs a plugin found on $PATH instead of the installed one.
AMBIENT = "using pulumi-resource-llmreg from $PATH"
#: npm never goes to the registry in these tests: the SDK's dependencies are the project's.
NPM_ENV = {
    "NPM_CONFIG_OFFLINE": "true",
    "NPM_CONFIG_AUDIT": "false",
    "NPM_CONFIG_FUND": "false",
    "NPM_CONFIG_UPDATE_NOTIFIER": "false",
}


def _path_without_plugin(bin_dir: Path) -> str:
    """PATH as after the documented install: pulumi first, no `pulumi-resource-llmreg`."""
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    kept = [d for d in dirs if not (Path(d) / PLUGIN.name).exists()]
    return os.pathsep.join([str(bin_dir), *kept])


def npm_install_sdk(project: Path) -> None:
    """`npm install --install-links <repo>/sdk/nodejs`, as docs/languages.md says, offline."""
    argv = ["npm", "install", "--install-links", str(SDK)]
    proc = subprocess.run(
        argv,
        cwd=project,
        env={**os.environ, **NPM_ENV},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"{' '.join(argv)}:\n{proc.stdout}\n{proc.stderr}"
    installed = project / "node_modules" / "@llmreg" / "pulumi"
    assert installed.is_dir() and not installed.is_symlink(), "a copy, not a link"
    assert (installed / "bin" / "index.js").is_file() and (
        installed / "bin" / "index.d.ts"
    ).is_file()
    assert not (SDK / "bin").exists() and not (SDK / "node_modules").exists(), "repo untouched"


def _workspace(
    factory: WorkspaceFactory,
    registry: Registry,
    runtime: str,
    *,
    program: str = "lifecycle",
    **secrets: str,
) -> PulumiWorkspace:
    """A new project of `runtime` with the plugin (and for TypeScript the SDK) installed as
    docs/languages.md says, and a stack with the registry's config and ``secrets``."""
    prefix = "yaml" if runtime == "yaml" else "ts"
    ws = factory(
        PROGRAMS / f"{prefix}-{program}",
        runtime=runtime,
        project="llmreg-e2e",
        stack="test",
        init=False,
        node_modules_mode="copy",  # npm adds the SDK to the project's own node_modules
    )
    ws.env = {**registry.env, "PATH": _path_without_plugin(ws.bin_dir)}
    if runtime == "nodejs":
        npm_install_sdk(ws.project_dir)
    ws.install_plugin("llmreg", VERSION, PLUGIN)
    ws.run("stack", "init", "test")
    for key, value in registry.config.items():
        ws.config_set(key, value)
    for key, value in {**registry.secrets, **secrets}.items():
        ws.config_set(key, value, secret=True)
    return ws


def _no_ambient_plugin(ws: PulumiWorkspace) -> None:
    for transcript in ws.transcripts:
        assert AMBIENT not in transcript, transcript


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
    _no_ambient_plugin(ws)

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


def _diagnostics(result: PulumiResult, resource: str) -> list[str]:
    """The lines the engine reports under ``resource`` (e.g. ``llmreg:index:Agent (support)``)
    in its Diagnostics section."""
    lines = result.stdout.splitlines()
    header = f"  {resource}:"
    assert header in lines, result.transcript()
    block = []
    for line in lines[lines.index(header) + 1 :]:
        if not line.strip():
            break
        block.append(line.strip())
    return block


def _assert_one_line(result: PulumiResult, resource: str, *needles: str) -> str:
    assert result.returncode != 0, result.transcript()
    for junk in ("Unexpected <class", "Traceback", 'File "'):
        assert junk not in result.output, result.transcript()
    block = _diagnostics(result, resource)
    assert len(block) == 1 and block[0].startswith("error: "), result.transcript()
    for needle in needles:
        assert needle in block[0], result.transcript()
    assert not block[0].endswith(":"), block[0]
    return block[0]


def test_errors_are_one_line(pulumi_workspace: WorkspaceFactory, embedded: Registry) -> None:
    ws = _workspace(
        pulumi_workspace, embedded, "yaml", devKey=random_key("dev"), prdKey=random_key("prd")
    )
    ws.config_set("temperature", "5")
    invalid = ws.preview(expect_ok=False)
    assert "temperature" in invalid.output and "out of range" in invalid.output
    _assert_one_line(invalid, "llmreg:index:LlmModel (sonnet)", "temperature", "out of range")
    ws.config_set("temperature", "0.7")

    owner = PrivateKey.generate()
    from llmreg.domain import ProductEnv, ProductRecord

    envs = [ProductEnv(slug=s, key_id=owner.key_id, public_key=owner.public_key.text)
            for s in ("dev", "prd")]  # fmt: skip
    embedded.store().put(
        ProductRecord(tag="shop", name="Theirs", envs=envs), expected_version=0, actor="cli:ops"
    )
    refused = ws.up(expect_ok=False)
    _assert_one_line(
        refused,
        "llmreg:index:Product (shop)",
        "product 'shop' already exists in the registry (made outside Pulumi)",
        "set adopt=True on the Product",
    )


@pytest.mark.parametrize("runtime", ["yaml", "nodejs"])
def test_what_only_the_registry_refuses_is_one_line(
    pulumi_workspace: WorkspaceFactory, embedded: Registry, runtime: str
) -> None:
    """A preview's and an `up`'s refusals are one line naming the field: not the plugin
    server's `Unexpected <class 'Exception'>: ...` with a stack over several lines, nor the
    engine's `property envs[0].slug value {<nil>}`."""
    ws = _workspace(pulumi_workspace, embedded, runtime, program="errors")
    ws.config_set("modelEnv", "stg")  # preview refuses: a nested field, named in the reason
    nested = ws.preview(expect_ok=False)
    line = _assert_one_line(
        nested,
        "llmreg:index:LlmModel (sonnet)",
        "has a problem: envs[0].slug: 'stg' is not an environment of product 'shop'",
    )
    assert "<nil>" not in line, line
    ws.config_set("modelEnv", "dev")

    ws.config_set("agentEnv", "stg")  # declared in the agent's productEnvs, not by the product
    env = ws.up(expect_ok=False)
    line = _assert_one_line(
        env,
        "llmreg:index:Agent (support)",
        "error: invalid agent 'shop/support': envs[0].slug: ",
        "'stg'",
    )
    assert "dev, prd" in line, line
    assert embedded.store().list(Kind.AGENT) == []

    ws.config_set("agentEnv", "dev")
    ws.config_set("agentModel", "sonnett")  # no such model; the settings are sonnet's
    tag = ws.up(expect_ok=False)
    _assert_one_line(tag, "llmreg:index:Agent (support)", "model", "sonnett")
    assert embedded.store().list(Kind.AGENT) == []
    _no_ambient_plugin(ws)


def test_typescript_sdk_with_pulumi_package_add(
    pulumi_workspace: WorkspaceFactory, embedded: Registry
) -> None:
    """`pulumi package add <plugin>` generates the SDK into the project and installs it; with
    the plugin installed, the program previews."""
    ws = pulumi_workspace(
        PROGRAMS / "ts-lifecycle",
        runtime="nodejs",
        init=False,
        node_modules_mode="copy",
    )
    ws.env = {**embedded.env, **NPM_ENV, "PATH": _path_without_plugin(ws.bin_dir)}
    added = ws.run("package", "add", str(PLUGIN))
    assert 'import * as llmreg from "@llmreg/pulumi"' in added.output, added.transcript()
    assert (ws.project_dir / "node_modules" / "@llmreg" / "pulumi" / "bin" / "index.js").is_file()
    ws.install_plugin("llmreg", VERSION, PLUGIN)
    ws.run("stack", "init", "test")
    for key in ("devKey", "prdKey"):
        ws.config_set(key, random_key(key), secret=True)
    preview = ws.preview()
    for kind in ("Product", "LlmModel", "Agent"):
        assert f"llmreg:index:{kind}" in preview.stdout, preview.transcript()
    _no_ambient_plugin(ws)


def test_a_plugin_on_path_wins_and_warns(
    pulumi_workspace: WorkspaceFactory, embedded: Registry
) -> None:
    """As docs/languages.md says: installed as documented (the plugin in Pulumi's plugin cache,
    none on PATH) no warning; with `pulumi-resource-llmreg` on PATH too (an activated virtualenv
    with llmreg) the engine runs that one and warns twice per command, unless
    PULUMI_IGNORE_AMBIENT_PLUGINS is set."""
    ws = _workspace(pulumi_workspace, embedded, "yaml", program="errors")
    documented = ws.preview()
    assert documented.output.count(AMBIENT) == 0, documented.transcript()

    env = dict(ws.env or {})
    ws.env = {**env, "PATH": os.pathsep.join([str(PLUGIN.parent), env["PATH"]])}
    ambient = ws.preview()
    warnings = _diagnostics(ambient, "pulumi:pulumi:Stack (llmreg-e2e-test)")
    assert warnings == [f"warning: {AMBIENT} at {PLUGIN}"] * 2, ambient.transcript()

    ws.env = {**ws.env, "PULUMI_IGNORE_AMBIENT_PLUGINS": "true"}
    ignored = ws.preview()
    assert ignored.output.count(AMBIENT) == 0, ignored.transcript()
    assert "llmreg:index:Agent" in ignored.stdout, ignored.transcript()
