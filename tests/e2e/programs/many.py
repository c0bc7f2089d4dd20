"""A product with N models and N agents (N from config `count`): a deploy of many resources for
the fault tests. Names and temperatures come from config so an update touches every record."""

import pulumi

import llmreg

cfg = pulumi.Config()
count = cfg.get_int("count") or 3
label = cfg.get("label") or "v1"

envs = (cfg.get("envs") or "dev,prd").split(",")
shop = llmreg.Product("shop", tag="shop", name=f"Shop {label}", envs=envs)
for i in range(count):
    model = llmreg.LlmModel(
        f"model-{i}",
        product=shop,
        tag=f"model-{i}",
        name=f"Model {i} {label}",
        provider="anthropic",
        model="claude-sonnet-4-20250514",
        envs=[{"slug": env, "api_key": cfg.require_secret("apiKey")} for env in envs],
    )
    llmreg.Agent(
        f"agent-{i}",
        product=shop,
        tag=f"agent-{i}",
        name=f"Agent {i} {label}",
        model=model,
        system_prompt=f"You are agent {i}.",
        envs=[{"slug": env, "model_config": {"max_tokens": 100}} for env in envs],
    )
