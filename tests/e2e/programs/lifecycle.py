"""A stack exercising every resource; its variations come from stack config."""

import pulumi

import llmreg

cfg = pulumi.Config()
adopt = cfg.get_bool("adopt") or False

supplied = {"dev": key} if (key := cfg.get("devPublicKey")) else {}
staged = {"dev": key} if (key := cfg.get("devNextPublicKey")) else {}
shop = llmreg.Product(
    "shop",
    tag="shop",
    name=cfg.get("productName") or "Shop",
    envs=["dev", "stg", "prd"],
    public_keys=supplied,
    next_public_keys=staged,
    key_rotations={
        "prd": llmreg.KeyRotationArgs(
            generation=rotation, phase="retire" if cfg.get("prdPhase") == "retire" else "stage"
        )
    }
    if (rotation := cfg.get_int("prdRotation"))
    else {},
    adopt=adopt,
)

description = cfg.get("modelDescription")
sonnet = llmreg.LlmModel(
    "sonnet",
    product=shop.tag,
    tag=cfg.get("sonnetTag") or "sonnet",
    name="Claude Sonnet",
    provider="anthropic",
    model="claude-sonnet-4-20250514",
    temperature=cfg.get_float("temperature") or 0.7,
    max_tokens=4096,
    description=description,
    envs=[
        llmreg.ModelEnvArgs(slug="dev", api_key=cfg.require_secret("devKey")),
        llmreg.ModelEnvArgs(
            slug="prd",
            api_key=cfg.require_secret("prdKey"),
            base_url="https://llm-gw.internal/anthropic",
        ),
    ],
    adopt=adopt,
)

local = llmreg.LlmModel(
    "local",
    product=shop.tag,
    tag="local",
    name="Local Llama",
    provider="custom",
    model="llama-3.1-70b",
    temperature=0.2,
    envs=[
        llmreg.ModelEnvArgs(slug="dev", base_url="http://llama.dev.internal/v1"),
        llmreg.ModelEnvArgs(slug="prd", base_url="http://llama.prd.internal/v1", active=False),
    ],
)

support = llmreg.Agent(
    "support",
    product=shop.tag,
    tag="support",
    name="Customer Support",
    model=sonnet,
    system_prompt="You help customers.",
    tools=[
        llmreg.ToolArgs(
            name="lookup_order",
            description="Find an order",
            parameters={
                "type": "object",
                "properties": {"id": {"type": "string"}},
                "required": ["id"],
            },
        )
    ],
    model_config=llmreg.ModelConfigArgs(max_tokens=2000),
    envs=[llmreg.AgentEnvArgs(slug="dev", model_config=llmreg.ModelConfigArgs(temperature=0.3))],
    adopt=adopt,
)

summarizer = llmreg.Agent(
    "summarizer",
    product=shop.tag,
    tag="summarizer",
    name="Summarizer",
    model="local",  # a tag string: resolved from the registry
    model_config=llmreg.ModelConfigArgs(stop_sequences=["END"]),
    opts=pulumi.ResourceOptions(depends_on=[local]),
)

pulumi.export("support_resolved", support.resolved)
pulumi.export("summarizer_resolved", summarizer.resolved)
pulumi.export("private_keys", shop.private_keys)
pulumi.export("next_private_keys", shop.next_private_keys)
pulumi.export("key_ids", shop.key_ids)
pulumi.export("sealing_keys", shop.sealing_keys)
pulumi.export("fingerprints", sonnet.key_fingerprints)
