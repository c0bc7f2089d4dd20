"""The example stack on the real engine, run by whatever Python environment runs this test:
the project's own, and (from scripts/test-pythons) fresh virtualenvs of the oldest and newest
supported Python with the oldest and newest supported `pulumi` SDK beside llmreg's wheel."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest

from tests.harness.pulumi_engine import WorkspaceFactory

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pulumi-project"


def test_the_example_stack_previews_and_deploys(
    pulumi_workspace: WorkspaceFactory, tmp_path: Path
) -> None:
    print(f"python {sys.version.split()[0]}, pulumi {importlib.metadata.version('pulumi')}")
    ws = pulumi_workspace(
        EXAMPLE,
        env={"LLMREG_HOME": str(tmp_path / "registry"), "LLMREG_URL": "", "LLMREG_TOKEN": ""},
        secrets={"anthropicDevKey": "sk-ant-compat-dev", "anthropicPrdKey": "sk-ant-compat-prd"},
    )
    preview = ws.preview()
    assert "pulumi-python:dynamic/llmreg:Agent" in preview.stdout, preview.transcript()
    ws.up()
    resolved = ws.outputs()["support_resolved"]
    assert resolved["prd"]["temperature"] == 0.9
    ws.preview("--expect-no-changes")
    ws.destroy()
