"""The Agent core in process on SQLite: `resolved` computed in check from the model in the
program or in the registry, with provenance; missing references fail the check."""

from __future__ import annotations

import pytest

from llmreg.deploy import DeployContext
from llmreg.domain import AgentRecord
from llmreg.store import Kind
from llmreg.store.base import Store

from .engine import CheckFailed
from .stack import agent_props, model_props, product_props, resources


def test_resolved_follows_the_model_in_the_same_preview(ctx: DeployContext, store: Store) -> None:
    shop, model, agent = resources(ctx)
    shop.up(product_props())
    model.up(model_props(shop))
    agent.up(agent_props(model, shop))
    assert agent.state["resolved"]["dev"] == {
        "provider": "anthropic",
        "model": "claude-sonnet-4-20250514",
        "temperature": 0.5,
        "maxTokens": 100,
        "provenance": {"temperature": "agent", "maxTokens": "env"},
    }
    assert agent.state["resolved"]["prd"]["baseUrl"] == "https://gw.internal/a"
    record = store.get(Kind.AGENT, "shop", "support").record
    assert isinstance(record, AgentRecord) and record.owner == agent.state["owner"]

    model.up(model_props(shop, maxTokens=2048.0))
    assert agent.preview_changes(agent_props(model, shop)) == ["resolved"]
    assert agent.check(agent_props(model, shop))["resolved"]["prd"]["maxTokens"] == 2048


def test_a_model_named_by_tag_is_read_from_the_registry(ctx: DeployContext) -> None:
    shop, model, agent = resources(ctx)
    shop.up(product_props())
    model.up(model_props(shop))
    agent.up(agent_props(None, None))  # product and model managed elsewhere
    assert set(agent.state["resolved"]) == {"dev", "prd"}
    assert agent.preview_changes(agent_props(None, None)) == []
    agent.refresh()
    assert agent.preview_changes(agent_props(None, None)) == []


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"model": "nope"}, "model"),
        ({"envs": [{"slug": "qa"}]}, "envs[0].slug"),
        ({"product": "nope"}, "product"),
    ],
)
def test_missing_references_fail_the_check(
    ctx: DeployContext, changes: dict[str, object], path: str
) -> None:
    shop, model, agent = resources(ctx)
    shop.up(product_props())
    model.up(model_props(shop))
    with pytest.raises(CheckFailed) as failed:
        agent.check(agent_props(None, None, **changes))
    assert path in [p.path for p in failed.value.failures]


def test_inputs_that_only_feed_check_stay_out_of_the_state(ctx: DeployContext) -> None:
    """modelSettings and productEnvs carry the model's and product's outputs to check; the
    engine would store them twice per agent and rewrite them on every step (issue 22)."""
    shop, model, agent = resources(ctx)
    shop.up(product_props())
    model.up(model_props(shop))
    agent.up(agent_props(model, shop))
    for props in (agent.inputs, agent.state):
        assert not {"modelSettings", "fallbackSettings", "productEnvs"} & set(props)
    assert "productEnvs" not in model.inputs and "productEnvs" not in model.state
    resolved = agent.state["resolved"]
    assert agent.refresh()["resolved"] == resolved  # the model's settings from the registry
    assert agent.preview_changes(agent_props(model, shop)) == []
    model.up(model_props(shop, maxTokens=2048.0))
    assert agent.preview_changes(agent_props(model, shop)) == ["resolved"]
    assert agent.refresh()["resolved"]["prd"]["maxTokens"] == 2048  # refresh sees the new model
