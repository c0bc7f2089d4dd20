"""A Pulumi program in the styles users write, which mypy --strict accepts: Args classes,
ArgsDict dicts and plain dicts, side by side (tests/typing/test_sdk_types.py)."""

import pulumi

import llmreg

cfg = pulumi.Config()
shop = llmreg.Product(
    "shop",
    tag="shop",
    name="Shop",
    envs=["dev", "prd"],
    key_rotations={"prd": {"generation": 1, "phase": "stage"}},
)
dev_env: llmreg.ModelEnvArgsDict = {"slug": "dev", "api_key": cfg.require_secret("devKey")}
sonnet = llmreg.LlmModel(
    "sonnet",
    product=shop,
    tag="sonnet",
    name="Claude Sonnet",
    provider="anthropic",
    model="claude-sonnet-4-20250514",
    envs=[dev_env, llmreg.ModelEnvArgs(slug="prd", api_key=cfg.require_secret("prdKey"))],
)
tool: llmreg.ToolArgsDict = {"name": "lookup", "parameters": {"type": "object"}}
support = llmreg.Agent(
    "support",
    product=shop.tag,
    tag="support",
    name="Support",
    model=sonnet,
    tools=[tool, llmreg.ToolArgs(name="escalate")],
    model_config={"temperature": 0.5, "max_tokens": 1000},
    envs=[{"slug": "dev", "model_config": llmreg.ModelConfigArgs(top_p=0.9)}],
)
existing = llmreg.LlmModel.get("existing", "shop/haiku")
resolved: pulumi.Output[dict[str, dict[str, object]]] = support.resolved
max_tokens: pulumi.Output[int | None] = sonnet.max_tokens
pulumi.export("support_prd", support.resolved["prd"])
