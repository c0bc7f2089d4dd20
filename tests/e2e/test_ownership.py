"""Who owns a record: `pulumi import` takes it over, and the stack it was taken from can no
longer write or delete it (real engine, native plugin, two stacks on one registry)."""

from __future__ import annotations

import pytest

from llmreg.store import Kind
from tests.harness.pulumi_engine import PulumiWorkspace, WorkspaceFactory

from .llmreg_e2e import PROGRAMS, Registry, ops, preview_json, snapshot, yaml_workspace

pytestmark = pytest.mark.e2e

MODEL = "llmreg:index:LlmModel"


def _stack(factory: WorkspaceFactory, registry: Registry, program: str) -> PulumiWorkspace:
    return yaml_workspace(factory, PROGRAMS / program, registry, project=program)


def _owner(registry: Registry) -> str | None:
    return registry.store().get(Kind.MODEL, "shop", "local").record.owner


def test_an_import_takes_the_record_over_from_its_previous_owner(
    pulumi_workspace: WorkspaceFactory, embedded: Registry
) -> None:
    a = _stack(pulumi_workspace, embedded, "yaml-owner-a")
    a.up()
    first = _owner(embedded)
    assert first is not None and "yaml-owner-a" in first

    b = _stack(pulumi_workspace, embedded, "yaml-owner-b")
    program = (b.project_dir / "Main.yaml").read_text()
    (b.project_dir / "Main.yaml").write_text("resources: {}\n")
    b.run("import", MODEL, "local", "shop/local", "--yes")
    (b.project_dir / "Main.yaml").write_text(program)  # the code `pulumi import` printed
    assert _owner(embedded) == first  # importing writes nothing ...
    assert ops(preview_json(b)) == {"local": "update"}  # ... the first up takes it over
    b.up()
    taken = _owner(embedded)
    assert taken is not None and "yaml-owner-b" in taken and "::local" in taken
    b.preview("--expect-no-changes")

    # the stack it was taken from can no longer write it
    before = snapshot(embedded.store())
    a.config_set("temperature", "0.9")
    refused = a.up(expect_ok=False)
    line = f"model 'shop/local' is owned by {taken} in the registry"
    assert line in refused.output and "set adopt=True on the LlmModel" in refused.output
    assert snapshot(embedded.store()) == before

    # nor delete it: its destroy lets go of the model (the product still has it, so stays)
    a.destroy(expect_ok=False)
    assert _owner(embedded) == taken
