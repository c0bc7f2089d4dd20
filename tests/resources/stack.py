"""Property maps as the Python SDK sends them, for a product, a model and an agent."""

from __future__ import annotations

from typing import Any

from llmreg.deploy import AgentCore, DeployContext, LlmModelCore, ProductCore
from llmreg.deploy.props import Props

from .engine import Resource

API_KEY = "sk-unit-0123456789abcdef"


def product_props(**over: Any) -> Props:
    props: Props = {"tag": "shop", "name": "Shop", "envs": ["dev", "prd"], "adopt": False}
    return {**props, **over}


def model_props(shop: Resource | None, /, **over: Any) -> Props:
    props: Props = {
        "product": "shop",
        "tag": "sonnet",
        "name": "Claude Sonnet",
        "provider": "anthropic",
        "model": "claude-sonnet-4-20250514",
        "maxTokens": 4096.0,  # the engine sends every number as a float
        "envs": [{"slug": "dev"}, {"slug": "prd", "baseUrl": "https://gw.internal/a"}],
        "apiKeys": {"dev": API_KEY, "prd": API_KEY + "-prd"},
        "adopt": False,
    }
    if shop is not None:  # the Product is in the same program
        props.update(sealingKeys=shop.state["sealingKeys"], productEnvs=shop.state["envs"])
    return {**props, **over}


def agent_props(llm: Resource | None, shop: Resource | None, /, **over: Any) -> Props:
    props: Props = {
        "product": "shop",
        "tag": "support",
        "name": "Support",
        "model": "sonnet",
        "systemPrompt": "Help.",
        "tools": [{"name": "lookup", "parameters": {"type": "object", "properties": {}}}],
        "modelConfig": {"temperature": 0.5},
        "envs": [{"slug": "dev", "modelConfig": {"maxTokens": 100.0}}],
        "adopt": False,
    }
    if llm is not None:
        props["modelSettings"] = llm.state["settings"]
    if shop is not None:
        props["productEnvs"] = shop.state["envs"]
    return {**props, **over}


def resources(ctx: DeployContext) -> tuple[Resource, Resource, Resource]:
    return (
        Resource(ProductCore(), ctx, "shop"),
        Resource(LlmModelCore(), ctx, "sonnet"),
        Resource(AgentCore(), ctx, "support"),
    )
