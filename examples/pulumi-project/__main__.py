"""The design §1 program: a product, two models of different providers, two agents."""

import pulumi

import llmreg

cfg = pulumi.Config()

shop = llmreg.Product("shop", tag="shop", name="Shop", envs=["dev", "stg", "prd"])

sonnet = llmreg.LlmModel(
    "claude-sonnet",
    product=shop.tag,
    tag="claude-sonnet",
    name="Claude Sonnet",
    description="General purpose",
    provider="anthropic",
    model="claude-sonnet-4-20250514",
    temperature=0.7,
    max_tokens=4096,
    envs=[
        llmreg.ModelEnvArgs(slug="dev", api_key=cfg.require_secret("anthropicDevKey")),
        llmreg.ModelEnvArgs(
            slug="prd",
            api_key=cfg.require_secret("anthropicPrdKey"),
            base_url="https://llm-gw.internal/anthropic",
        ),
    ],
)

local_llama = llmreg.LlmModel(
    "local-llama",
    product=shop.tag,
    tag="local-llama",
    name="Llama on the internal inference cluster",
    provider="custom",
    model="llama-3.1-70b-instruct",
    temperature=0.2,
    envs=[  # one endpoint per environment, no API key
        llmreg.ModelEnvArgs(slug=env, base_url=f"http://llama.{env}.internal:8000/v1")
        for env in ["dev", "stg", "prd"]
    ],
)

support = llmreg.Agent(
    "customer-support",
    product=shop.tag,
    tag="customer-support",
    name="Customer Support Agent",
    model=sonnet,
    system_prompt="You are a helpful customer support agent for the Shop.",
    tools=[
        llmreg.ToolArgs(
            name="lookup_order",
            description="Look up an order by its id",
            parameters={
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        )
    ],
    model_config=llmreg.ModelConfigArgs(temperature=0.9),
    envs=[llmreg.AgentEnvArgs(slug="dev", model_config=llmreg.ModelConfigArgs(max_tokens=1000))],
)

summarizer = llmreg.Agent(
    "ticket-summarizer",
    product=shop.tag,
    tag="ticket-summarizer",
    name="Ticket Summarizer",
    model=local_llama,
    system_prompt="Summarize the support ticket in three sentences.",
    model_config=llmreg.ModelConfigArgs(max_tokens=300, stop_sequences=["\n\n\n"]),
    envs=[llmreg.AgentEnvArgs(slug="prd", model_config=llmreg.ModelConfigArgs(temperature=0.0))],
)

pulumi.export("support_resolved", support.resolved)
pulumi.export("summarizer_resolved", summarizer.resolved)
pulumi.export("support_prd", support.resolved["prd"])
pulumi.export("public_keys", shop.public_keys)
pulumi.export("private_keys", shop.private_keys)
