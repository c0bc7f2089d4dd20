"""The example stack that `make demo` runs (examples/pulumi-project/run-demo.sh)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from llmreg.store import Kind, open_store

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "pulumi-project" / "run-demo.sh"


def test_demo_script_creates_the_example_stack(pulumi_bin: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "LLMREG_"))}
    env["PATH"] = os.pathsep.join([str(pulumi_bin), env.get("PATH", "")])
    env["LLMREG_DEMO_DIR"] = str(tmp_path / "demo")
    proc = subprocess.run(
        [str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "customer-support: resolved configuration per environment" in out
    # the first JSON document after the heading is the support agent's resolved map
    support = json.loads(out.split("(no keys)\n", 1)[1].split("\n\n", 1)[0])
    assert set(support) == {"dev", "prd"}
    assert support["prd"]["temperature"] == 0.9
    assert support["prd"]["provenance"]["temperature"] == "agent"
    assert support["dev"]["maxTokens"] == 1000
    assert "apiKey" not in json.dumps(support)

    # The demo ends with the runtime's view of one agent in prd, each value with its layer.
    explained = out.split("llmreg resolve shop prd customer-support --explain\n", 1)[1]
    rows = {line.split()[0]: line.split()[1:] for line in explained.split("\n\n")[0].splitlines()}
    assert rows["FIELD"] == ["VALUE", "FROM"]
    assert rows["temperature"] == ["0.9", "agent"]
    assert rows["provider"] == ["anthropic", "model"]
    assert "sk-ant-demo-" not in out  # the opened key is never printed

    store = open_store(f"sqlite:///{tmp_path / 'demo' / 'registry' / 'registry.db'}")
    models = {s.record.tag for s in store.list(Kind.MODEL, "shop")}
    agents = {s.record.tag for s in store.list(Kind.AGENT, "shop")}
    assert models == {"claude-sonnet", "local-llama"}
    assert agents == {"customer-support", "ticket-summarizer"}
    # the script keeps the repository clean: the stack config went to the demo directory
    assert not list(SCRIPT.parent.glob("Pulumi.*.yaml"))
