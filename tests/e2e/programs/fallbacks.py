"""An agent with fallback models (a resource, a tag output, a tag string of a model managed in
the same registry) and termination limits; the fallback `gemini` has no active config in prd."""

import pulumi

import llmreg

cfg = pulumi.Config()
shop = llmreg.Product("shop", tag="shop", name="Shop", envs=["dev", "prd"])


def model(
    name: str, provider: str, model_id: str, temperature: float, envs: list[str]
) -> llmreg.LlmModel:
    return llmreg.LlmModel(
        name,
        product=shop,
        tag=name,
        name=name.title(),
        provider=provider,  # type: ignore[arg-type]
        model=model_id,
        temperature=temperature,
        envs=[
            llmreg.ModelEnvArgs(slug=env, api_key=cfg.require_secret(f"{name}Key")) for env in envs
        ],
    )


claude = model("claude", "anthropic", "claude-sonnet-4-20250514", 0.7, ["dev", "prd"])
gpt = model("gpt", "openai", "gpt-4o", cfg.get_float("gptTemperature") or 0.5, ["dev", "prd"])
gemini = model("gemini", "google", "gemini-2.5-pro", 0.4, ["dev"])

support = llmreg.Agent(
    "support",
    product=shop,
    tag="support",
    name="Customer Support",
    model=claude,
    fallbacks=[gpt, gemini.tag],
    termination=llmreg.TerminationArgs(max_iterations=5, max_tokens=20000, timeout=60000),
    model_config=llmreg.ModelConfigArgs(max_tokens=1000),
    envs=[llmreg.AgentEnvArgs(slug="prd", model_config={"temperature": 0.1})],
)

pulumi.export("resolved", support.resolved)
