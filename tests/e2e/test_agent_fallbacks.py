"""An agent's fallback chain and termination limits, on the real engine: previewed with the
chain resolved per env, deployed, refreshed without a diff, and following a fallback model's
change in the same preview."""

from __future__ import annotations

import pytest

from llmreg.domain import AgentRecord
from llmreg.store import Kind
from tests.harness.pulumi_engine import WorkspaceFactory

from .llmreg_e2e import Registry, ops, preview_json, random_key, step, workspace

pytestmark = pytest.mark.e2e

KEYS = {
    "claudeKey": random_key("claude"),
    "gptKey": random_key("gpt"),
    "geminiKey": random_key("g"),
}


def test_an_agent_with_fallbacks_and_limits_deploys_with_its_chain_resolved(
    pulumi_workspace: WorkspaceFactory, registry: Registry
) -> None:
    ws = workspace(pulumi_workspace, "fallbacks.py", registry, secrets=KEYS)

    planned = step(preview_json(ws), "support")["newState"]["inputs"]["resolved"]
    for resolved in (planned, None):
        if resolved is None:
            ws.up()
            resolved = ws.outputs()["resolved"]
        prd, dev = resolved["prd"], resolved["dev"]
        assert [f["tag"] for f in dev["fallbacks"]] == ["gpt", "gemini"]
        # gemini has no active config in prd: left out of that env's chain, and said so
        assert [f["tag"] for f in prd["fallbacks"]] == ["gpt"]
        assert prd["fallbacksLeftOut"] == ["gemini"]
        gpt = prd["fallbacks"][0]
        assert (gpt["provider"], gpt["model"]) == ("openai", "gpt-4o")
        # the same layers, on the fallback's own settings: model < agent < env
        assert (gpt["temperature"], gpt["provenance"]["temperature"]) == (0.1, "env")
        assert (gpt["maxTokens"], gpt["provenance"]["maxTokens"]) == (1000, "agent")
        assert dev["fallbacks"][0]["temperature"] == 0.5
        assert dev["fallbacks"][0]["provenance"]["temperature"] == "model"
        assert prd["termination"] == {"maxIterations": 5, "maxTokens": 20000, "timeout": 60000}

    record = registry.store().get(Kind.AGENT, "shop", "support").record
    assert isinstance(record, AgentRecord)
    assert record.fallbacks == ["gpt", "gemini"]
    assert record.termination is not None and record.termination.max_tokens == 20000
    ws.preview("--expect-no-changes")
    ws.refresh("--expect-no-changes")

    # a fallback model changes: the agent's chain follows in the same preview
    ws.config_set("gptTemperature", "0.9")
    changed = preview_json(ws)
    assert ops(changed) == {"gpt": "update", "support": "update"}
    chain = step(changed, "support")["newState"]["inputs"]["resolved"]["dev"]["fallbacks"]
    assert chain[0]["temperature"] == 0.9
