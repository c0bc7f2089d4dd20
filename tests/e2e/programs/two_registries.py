"""One program, two registries: the default one and `eu`, named in `llmreg:registries`."""

import pulumi

import llmreg

cfg = pulumi.Config()
for suffix, registry in (("", None), ("-eu", "eu")):
    shop = llmreg.Product(
        f"shop{suffix}", tag="shop", name=f"Shop{suffix}", envs=["prd"], registry=registry
    )
    model = llmreg.LlmModel(
        f"sonnet{suffix}",
        product=shop,
        tag="sonnet",
        name="Claude Sonnet",
        provider="anthropic",
        model="claude-sonnet-4-20250514",
        envs=[{"slug": "prd", "api_key": cfg.require_secret("prdKey")}],
        registry=registry,
    )
    llmreg.Agent(
        f"support{suffix}", product=shop, tag="support", name="Support", model=model,
        registry=registry,
    )  # fmt: skip
