"""End-to-end smoke tests of the TypeScript and YAML toolchains on the real engine: our Node.js
language host running @pulumi/pulumi's runner (ts-node, type-checked), pulumi-yaml's host, the
passphrase secrets provider, and the workspace helpers the provider-plugin tests build on.

Self-contained on purpose (no llmreg import): they check the toolchain, not llmreg. Like every
engine test, a missing toolchain (or Node.js packages) fails them, never skips them.
"""

from __future__ import annotations

import json
import secrets
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.harness.pulumi_engine import PulumiWorkspace, WorkspaceFactory

# Registers the fixtures when the root conftest does not (pytest loads a plugin only once).
pytest_plugins = ("tests.harness.fixtures",)

pytestmark = pytest.mark.e2e

PROGRAMS = Path(__file__).parent / "programs"


def _lifecycle(
    ws: PulumiWorkspace, *, name: str, api_key: str, component: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """preview, up, stack output, preview --expect-no-changes, destroy, then a leak scan.

    Returns the stack outputs as shown (secrets masked) and revealed, taken before destroy.
    """
    preview = ws.preview()
    assert "pulumi:pulumi:Stack" in preview.stdout, preview.transcript()
    assert "create" in preview.stdout, preview.transcript()
    if component:
        assert component in preview.stdout, preview.transcript()

    up = ws.up()
    assert "created" in up.stdout, up.transcript()
    assert "[secret]" in up.stdout, up.transcript()

    shown = ws.outputs()
    assert shown["stack"] == ws.stack
    assert shown["secretKey"] == "[secret]"
    assert shown["wrapped"] == "[secret]"
    assert ws.run("stack", "output", "secretKey").stdout.strip() == "[secret]"
    # Positive control: the secrets really are in the state, so the leak checks can fail.
    revealed = ws.outputs(show_secrets=True)
    assert revealed["secretKey"] == api_key
    assert revealed["wrapped"] == f"wrapped-{name}"

    ws.preview("--expect-no-changes")

    exported = json.dumps(ws.stack_export())
    assert api_key not in exported
    assert f"wrapped-{name}" not in exported

    ws.destroy()
    assert not ws.stack_export()["deployment"].get("resources"), "destroy left resources"

    assert ws.find_leaks(api_key) == []
    assert ws.find_leaks(f"wrapped-{name}") == []
    assert any(p.is_file() for p in ws.backend_dir.rglob("*")), "the file:// backend wrote nothing"
    return shown, revealed


def test_typescript_program_lifecycle_keeps_secret_encrypted(
    pulumi_workspace: WorkspaceFactory,
) -> None:
    name = "ts-" + secrets.token_hex(4)
    api_key = "sk-ts-smoke-" + secrets.token_hex(16)
    ws = pulumi_workspace(
        PROGRAMS / "ts-smoke",
        runtime="nodejs",
        config={"name": name},
        secrets={"apiKey": api_key},
    )
    assert (ws.project_dir / "node_modules" / "@pulumi" / "pulumi" / "package.json").exists()

    shown, revealed = _lifecycle(ws, name=name, api_key=api_key, component="smoke:index:Greeter")

    # Typed values survive: an object computed by TypeScript code, and a secret number.
    assert shown["greeting"] == {"text": f"hello {name}", "words": 2}
    assert shown["keyLength"] == "[secret]"
    assert revealed["keyLength"] == len(api_key)


def test_typescript_type_errors_stop_preview(pulumi_workspace: WorkspaceFactory) -> None:
    """ts-node type-checks: a TypeScript error fails the program, with the compiler's message."""
    program = (
        'import * as pulumi from "@pulumi/pulumi";\nexport const n: number = "not a number";\n'
    )
    ws = pulumi_workspace(program, runtime="nodejs")
    preview = ws.preview(expect_ok=False)
    assert preview.returncode != 0, preview.transcript()
    assert "TS2322" in preview.output, preview.transcript()


def test_yaml_program_lifecycle_keeps_secret_encrypted(
    pulumi_workspace: WorkspaceFactory,
) -> None:
    name = "yaml-" + secrets.token_hex(4)
    api_key = "sk-yaml-smoke-" + secrets.token_hex(16)
    ws = pulumi_workspace(
        PROGRAMS / "yaml-smoke",
        runtime="yaml",
        config={"name": name},
        secrets={"apiKey": api_key},
    )
    shown, _ = _lifecycle(ws, name=name, api_key=api_key, component=None)
    assert shown["greeting"] == f"hello {name}"


def test_yaml_program_from_text(pulumi_workspace: WorkspaceFactory) -> None:
    ws = pulumi_workspace(
        "variables:\n  answer:\n    fn::secret: 42\noutputs:\n  answer: ${answer}\n",
        runtime="yaml",
    )
    ws.up()
    assert ws.outputs() == {"answer": "[secret]"}
    assert ws.outputs(show_secrets=True) == {"answer": 42}


def test_install_plugin_from_file(pulumi_workspace: WorkspaceFactory, tmp_path: Path) -> None:
    """install_plugin puts a local executable into the workspace's PULUMI_HOME, offline."""
    plugin = tmp_path / "pulumi-resource-smokeplug"
    plugin.write_text("#!/bin/sh\necho 'not a real provider' >&2\nexit 1\n")
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    ws = pulumi_workspace("outputs: {}\n", runtime="yaml")

    ws.install_plugin("smokeplug", "v0.0.1", plugin)

    installed = ws.home_dir / "plugins" / "resource-smokeplug-v0.0.1" / "pulumi-resource-smokeplug"
    assert installed.is_file(), sorted(str(p) for p in ws.home_dir.rglob("*"))
    listed = json.loads(ws.run("plugin", "ls", "--json").stdout)
    assert {"name": "smokeplug", "kind": "resource", "version": "0.0.1"}.items() <= next(
        p for p in listed if p["name"] == "smokeplug"
    ).items()


SCHEMA = {
    "name": "smokepkg",
    "version": "0.1.0",
    "language": {"nodejs": {"respectSchemaVersion": True}},
    "resources": {
        "smokepkg:index:Thing": {
            "properties": {
                "label": {"type": "string"},
                "apiKey": {"type": "string", "secret": True},
            },
            "required": ["label"],
            "inputProperties": {
                "label": {"type": "string"},
                "apiKey": {"type": "string", "secret": True},
            },
            "requiredInputs": ["label"],
        }
    },
}


def test_gen_sdk_typescript_through_our_host(
    pulumi_workspace: WorkspaceFactory, tmp_path: Path
) -> None:
    """`pulumi package gen-sdk --language nodejs` is served by our host's GeneratePackage."""
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(SCHEMA))
    ws = pulumi_workspace("export const x = 1;\n", runtime="nodejs", init=False)

    ws.run("package", "gen-sdk", str(schema), "--language", "nodejs", "--out", "sdks")

    sdk = ws.project_dir / "sdks" / "nodejs"
    manifest = json.loads((sdk / "package.json").read_text())
    assert manifest["name"] == "@pulumi/smokepkg"
    assert manifest["version"] == "0.1.0"
    assert manifest["pulumi"] == {"resource": True, "name": "smokepkg", "version": "0.1.0"}
    assert "export class Thing extends pulumi.CustomResource" in (sdk / "thing.ts").read_text()


def test_convert_pcl_to_typescript_through_our_host(
    pulumi_workspace: WorkspaceFactory, tmp_path: Path
) -> None:
    """`pulumi convert --language typescript` (also what `pulumi import` generates code with) is
    served by our host's GenerateProject/GenerateProgram."""
    ws = pulumi_workspace("outputs: {}\n", runtime="yaml", init=False)
    (ws.project_dir / "main.pp").write_text(
        'config name string {}\noutput greeting {\n  value = "hello ${name}"\n}\n'
    )
    out = tmp_path / "converted"
    ws.run(
        "convert", "--from", "pcl", "--language", "typescript", "--generate-only", "--out", str(out)
    )
    index = (out / "index.ts").read_text()
    assert 'config.require("name")' in index, index
    assert "export const greeting = `hello ${name}`;" in index, index
    assert json.loads((out / "package.json").read_text())["dependencies"]["@pulumi/pulumi"]


def test_node_modules_copy_mode_is_private(pulumi_workspace: WorkspaceFactory) -> None:
    """node_modules_mode="copy" gives a workspace its own (hard-linked) node_modules, which
    npm may change (`pulumi package add`) without touching the shared cache."""
    ws = pulumi_workspace("export {};\n", runtime="nodejs", node_modules_mode="copy", init=False)
    local = ws.project_dir / "node_modules"
    assert local.is_dir() and not local.is_symlink()
    assert (local / "@pulumi" / "pulumi" / "cmd" / "run" / "index.js").is_file()
    assert (ws.project_dir / "package-lock.json").is_file()
