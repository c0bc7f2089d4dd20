"""One invalid resource per run, described by $LLMREG_E2E_CASE (JSON); see test_invalid.py.

The Product is declared in the same program (as on a first deploy, with the registry empty),
and so are two valid custom models, `local` and `other`, for the agent cases."""

import json
import os

import llmreg

# "$KEY" stands for a random API key given in $LLMREG_E2E_KEY (so no key is in this file).
case = json.loads(os.environ["LLMREG_E2E_CASE"].replace("$KEY", os.environ["LLMREG_E2E_KEY"]))
kind, args = case["kind"], case["args"]

if kind == "product":
    llmreg.Product("bad", **{"tag": "shop", "name": "Shop", "envs": ["dev", "prd"], **args})
else:
    shop = llmreg.Product("shop", tag="shop", name="Shop", envs=["dev", "prd"])
    for tag in ("local", "other"):  # valid models for the agent cases
        llmreg.LlmModel(
            tag,
            product=shop,
            tag=tag,
            name=tag.title(),
            provider="custom",
            model=f"llama-{tag}",
            envs=[{"slug": "dev", "base_url": "http://llama.internal/v1"}],
        )
    if kind == "model":
        key = os.environ["LLMREG_E2E_KEY"]
        llmreg.LlmModel(
            "bad",
            **{
                "product": shop.tag,
                "tag": "bad",
                "name": "Bad",
                "provider": "anthropic",
                "model": "claude-x",
                "envs": [{"slug": "dev", "api_key": key}],
                **args,
            },
        )
    else:
        llmreg.Agent(
            "bad",
            **{"product": shop.tag, "tag": "bad", "name": "Bad", "model": "local", **args},
        )
