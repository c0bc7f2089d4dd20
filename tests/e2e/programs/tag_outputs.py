"""Agents that name a model of the same program by an output of its tag (issue: a first deploy
must work as with the resource), and an agent whose model is managed elsewhere."""

import pulumi

import llmreg

cfg = pulumi.Config()
shop = llmreg.Product(
    "shop", tag="shop", name="Shop", envs=(cfg.get("envs") or "dev,prd").split(",")
)

sonnet = llmreg.LlmModel(
    "sonnet",
    product=shop,
    tag="claude",
    name="Claude Sonnet",
    provider="anthropic",
    model="claude-sonnet-4-20250514",
    temperature=cfg.get_float("temperature") or 0.7,
    max_tokens=4096,
    envs=[
        llmreg.ModelEnvArgs(slug="dev", api_key=cfg.require_secret("devKey")),
        llmreg.ModelEnvArgs(slug="prd", api_key=cfg.require_secret("prdKey")),
    ],
)

by_tag_output = llmreg.Agent(
    "by-tag-output",
    product=shop.tag,
    tag="by-tag-output",
    name="By tag output",
    model=sonnet.tag,
    model_config=llmreg.ModelConfigArgs(temperature=0.3),
    opts=pulumi.ResourceOptions(depends_on=[sonnet]),
)

by_derived_output = llmreg.Agent(
    "by-derived-output",
    product=shop.tag,
    tag="by-derived-output",
    name="By an output derived from the tag",
    model=sonnet.tag.apply(lambda tag: tag),
    envs=[llmreg.AgentEnvArgs(slug="prd", model_config=llmreg.ModelConfigArgs(max_tokens=99))],
)

pulumi.export("by_tag_output", by_tag_output.resolved)
pulumi.export("by_derived_output", by_derived_output.resolved)
pulumi.export("public_keys", shop.public_keys)
