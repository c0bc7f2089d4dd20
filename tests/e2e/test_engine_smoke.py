"""End-to-end smoke test of the Pulumi toolchain: engine, our Python language host, and the
dynamic-provider launcher, with a secret flowing from config through a dynamic resource.

Self-contained on purpose (no llmreg import): it checks the toolchain, not llmreg.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import textwrap
from pathlib import Path

import pytest

from tests.harness.pulumi_engine import WorkspaceFactory

# Registers the fixtures when the root conftest does not (pytest loads a plugin only once).
pytest_plugins = ("tests.harness.fixtures",)

pytestmark = pytest.mark.e2e

PROGRAM = textwrap.dedent(
    '''
    import hashlib
    from pathlib import Path

    import pulumi
    from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider


    class KeyFileProvider(ResourceProvider):
        """Writes sha256(apiKey) to a file: proves the provider got the plaintext key."""

        def create(self, props):
            path = Path(props["path"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(hashlib.sha256(props["apiKey"].encode()).hexdigest())
            return CreateResult(id_=str(path), outs=dict(props))

        def diff(self, _id, olds, news):
            changed = [k for k in ("path", "apiKey") if olds.get(k) != news.get(k)]
            return DiffResult(changes=bool(changed), replaces=changed)

        def delete(self, _id, props):
            Path(props["path"]).unlink(missing_ok=True)


    class KeyFile(Resource, module="smoke", name="KeyFile"):
        path: pulumi.Output[str]
        apiKey: pulumi.Output[str]

        def __init__(self, name, path, api_key, opts=None):
            super().__init__(KeyFileProvider(), name, {"path": path, "apiKey": api_key}, opts)


    cfg = pulumi.Config()
    key_file = KeyFile("key-file", cfg.require("path"), cfg.require_secret("apiKey"))
    pulumi.export("path", key_file.path)
    pulumi.export("apiKey", key_file.apiKey)
    '''
)


def test_dynamic_resource_lifecycle_keeps_secret_encrypted(
    pulumi_workspace: WorkspaceFactory, tmp_path: Path
) -> None:
    api_key = "sk-smoke-" + secrets.token_hex(16)
    target = tmp_path / "artifacts" / "key.sha256"
    ws = pulumi_workspace(PROGRAM, config={"path": str(target)}, secrets={"apiKey": api_key})

    preview = ws.preview()
    assert "pulumi-python:dynamic/smoke:KeyFile" in preview.stdout, preview.transcript()
    assert not target.exists(), "preview must not create the resource"

    up = ws.up()
    assert "pulumi-python:dynamic/smoke:KeyFile" in up.stdout, up.transcript()
    assert "created" in up.stdout, up.transcript()
    assert target.read_text() == hashlib.sha256(api_key.encode()).hexdigest()

    ws.preview("--expect-no-changes")

    outputs = ws.outputs()
    assert outputs["path"] == str(target)
    assert outputs["apiKey"] == "[secret]"
    # Positive control: the secret is really in the state, so the leak checks below can fail.
    assert ws.outputs(show_secrets=True)["apiKey"] == api_key

    exported = ws.stack_export()
    resources = exported["deployment"]["resources"]
    assert any(r["type"] == "pulumi-python:dynamic/smoke:KeyFile" for r in resources)
    assert api_key not in json.dumps(exported)

    ws.destroy()
    assert not target.exists(), "destroy must delete the file"

    assert ws.find_leaks(api_key) == []
    backend_files = [p for p in ws.backend_dir.rglob("*") if p.is_file()]
    assert backend_files, "the file:// backend wrote nothing"
    for path in backend_files:
        assert api_key.encode() not in path.read_bytes(), path
    for transcript in ws.transcripts:
        assert api_key not in transcript
