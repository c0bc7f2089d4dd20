"""What a new user meets first, on the real engine: a same-program model passed by an output of
its tag, the keys a preview shows, a changed API key in the diff, and a dropped env a model
still uses."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from llmreg.store import Kind
from tests.harness.pulumi_engine import WorkspaceFactory

from .llmreg_e2e import (
    PROGRAMS,
    Registry,
    ops,
    preview_json,
    product,
    random_key,
    snapshot,
    step,
    workspace,
    yaml_workspace,
)

pytestmark = pytest.mark.e2e

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _keys() -> dict[str, str]:
    return {"devKey": random_key("dev"), "prdKey": random_key("prd")}


def test_a_model_passed_by_an_output_of_its_tag_deploys_on_an_empty_registry(
    pulumi_workspace: WorkspaceFactory, registry: Registry
) -> None:
    ws = workspace(pulumi_workspace, "tag_outputs.py", registry, secrets=_keys())

    preview = preview_json(ws)
    assert ops(preview) == {
        "shop": "create",
        "sonnet": "create",
        "by-tag-output": "create",
        "by-derived-output": "create",
    }
    # `resolved` is previewed as for the resource: the model's settings, then the agent's layer
    resolved = step(preview, "by-tag-output")["newState"]["inputs"]["resolved"]
    assert resolved["prd"]["temperature"] == 0.3
    assert resolved["prd"]["provenance"]["temperature"] == "agent"
    assert resolved["dev"]["maxTokens"] == 4096
    assert resolved["dev"]["provenance"]["maxTokens"] == "model"
    assert snapshot(registry.store())["history"] == 0  # a preview writes nothing

    ws.up()
    outputs = ws.outputs()
    assert outputs["by_tag_output"]["prd"]["temperature"] == 0.3
    assert outputs["by_derived_output"]["prd"]["maxTokens"] == 99
    assert outputs["by_derived_output"]["prd"]["provenance"]["maxTokens"] == "env"
    agent = registry.store().get(Kind.AGENT, "shop", "by-derived-output").record
    assert agent.model == "claude"  # type: ignore[union-attr]
    ws.preview("--expect-no-changes")
    ws.refresh("--expect-no-changes")

    # the model changes: the agent that inherits the temperature shows its new `resolved` in
    # the same preview; the one that overrides it stays as it is
    ws.config_set("temperature", "1.1")
    changed = preview_json(ws)
    assert ops(changed) == {"sonnet": "update", "by-derived-output": "update"}
    derived = step(changed, "by-derived-output")["newState"]["inputs"]["resolved"]
    assert derived["dev"]["temperature"] == 1.1


def test_a_new_products_preview_shows_its_key_pairs_as_unknown_until_created(
    pulumi_workspace: WorkspaceFactory, embedded: Registry
) -> None:
    ws = workspace(pulumi_workspace, "tag_outputs.py", embedded, secrets=_keys())
    planned = step(preview_json(ws), "shop")["newState"]["inputs"]
    for name in ("publicKeys", "keyIds", "sealingKeys"):
        assert planned.get(name, UNKNOWN) == UNKNOWN, name  # never a key `up` will not use
    ws.up()
    deployed = ws.outputs()["public_keys"]
    assert {e.slug: e.public_key for e in product(embedded.store()).envs} == deployed
    ws.preview("--expect-no-changes")


def test_a_changed_api_key_shows_as_a_changed_secret(
    pulumi_workspace: WorkspaceFactory, embedded: Registry
) -> None:
    ws = workspace(pulumi_workspace, "tag_outputs.py", embedded, secrets=_keys())
    ws.up()
    before = fingerprints(embedded)
    new_key = random_key("dev2")
    ws.config_set("devKey", new_key, secret=True)

    diff = ws.preview("--diff").stdout
    assert "~ apiKeys: [secret] => [secret]" in diff
    assert new_key not in diff
    up = ws.up().stdout
    assert "sonnet updated" in up and "[diff: ~apiKeys]" in up
    after = fingerprints(embedded)
    assert after["dev"] != before["dev"] and after["prd"] == before["prd"]

    # with a setting changed too, both are named
    ws.config_set("devKey", random_key("dev3"), secret=True)
    ws.config_set("temperature", "0.9")
    both = ws.preview("--diff").stdout
    assert re.search(r"~ apiKeys +: \[secret\] => \[secret\]", both)
    assert re.search(r"~ temperature: 0.7 => 0.9", both)
    assert "[diff: ~apiKeys,temperature]" in ws.up().stdout


def fingerprints(registry: Registry) -> dict[str, str | None]:
    record = registry.store().get(Kind.MODEL, "shop", "claude").record
    return {e.slug: e.key_fingerprint for e in record.envs}  # type: ignore[union-attr]


def test_dropping_an_env_a_model_still_uses_is_refused_in_one_line(
    pulumi_workspace: WorkspaceFactory, registry: Registry
) -> None:
    ws = workspace(pulumi_workspace, "tag_outputs.py", registry, secrets=_keys())
    ws.up()
    before = snapshot(registry.store())
    ws.config_set("envs", "dev")
    # `pulumi up` previews first (with --skip-preview the product would change before the model
    # is checked: the engine orders the product first)
    for refused in (ws.preview(expect_ok=False), ws.run("up", "--yes", expect_ok=False)):
        assert "unexpected unknown" not in refused.output
        errors = [line for line in refused.output.splitlines() if "error:" in line]
        assert errors, refused.output
        for error in errors:  # the model, the env and the fix, in one line
            assert "LlmModel resource 'sonnet'" in error, error
            assert "'prd' is not an environment of product 'shop' (it has: dev)" in error
            assert "remove 'prd' from these envs" in error
    assert snapshot(registry.store()) == before


def test_a_model_tag_that_disagrees_with_its_settings_fails_preview_naming_model(
    pulumi_workspace: WorkspaceFactory, embedded: Registry, tmp_path: Path
) -> None:
    program = tmp_path / "typo"
    shutil.copytree(PROGRAMS / "yaml-lifecycle", program)
    main = program / "Main.yaml"
    main.write_text(main.read_text().replace("model: ${sonnet.tag}", "model: sonnett"))
    ws = yaml_workspace(pulumi_workspace, program, embedded, secrets=_keys())
    refused = ws.preview(expect_ok=False)
    errors = [line for line in refused.output.splitlines() if "error:" in line]
    assert errors and all("\n" not in e for e in errors)
    assert any(
        "model" in e and "is 'sonnett', but modelSettings are those of model 'sonnet'" in e
        for e in errors
    ), refused.output
    assert "Unexpected" not in refused.output
    assert snapshot(embedded.store())["history"] == 0
