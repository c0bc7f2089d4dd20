"""One invalid resource per run, described by $LLMREG_E2E_CASE (JSON); see test_invalid.py."""

import json
import os

import llmreg

# "$KEY" stands for a random API key given in $LLMREG_E2E_KEY (so no key is in this file).
case = json.loads(os.environ["LLMREG_E2E_CASE"].replace("$KEY", os.environ["LLMREG_E2E_KEY"]))
args = case["args"]

if case["kind"] == "product":
    llmreg.Product("bad", **{"tag": "shop2", "name": "Shop 2", "envs": ["dev"], **args})
elif case["kind"] == "model":
    envs = args.pop("envs", [{"slug": "dev", "api_key": os.environ["LLMREG_E2E_KEY"]}])
    llmreg.LlmModel(
        "bad",
        **{
            "product": "shop",
            "tag": "bad",
            "name": "Bad",
            "provider": "anthropic",
            "model": "claude-x",
            **args,
        },
        envs=[llmreg.ModelEnvArgs(**e) for e in envs],
    )
else:
    tools = [llmreg.ToolArgs(**t) for t in args.pop("tools", [])]
    envs = [
        llmreg.AgentEnvArgs(
            slug=e["slug"], model_config=llmreg.ModelConfigArgs(**e.get("model_config", {}))
        )
        for e in args.pop("envs", [])
    ]
    config = llmreg.ModelConfigArgs(**args.pop("model_config", {}))
    llmreg.Agent(
        "bad",
        **{"product": "shop", "tag": "bad", "name": "Bad", "model": "local", **args},
        tools=tools,
        envs=envs,
        model_config=config,
    )
