"""A model and an agent of product 'shop', which another stack manages: the product is named by
its tag. ``sealingKeys`` (stack config, JSON) stands for the other stack's Product.sealing_keys
output, as a StackReference would give it; without it the registry's keys are pinned at the
first deploy."""

import json

import pulumi

import llmreg

cfg = pulumi.Config()
given = cfg.get("sealingKeys")

remote = llmreg.LlmModel(
    "remote",
    product="shop",
    tag="remote",
    name="Remote Claude",
    provider="anthropic",
    model="claude-sonnet-4-20250514",
    envs=[{"slug": "dev", "api_key": cfg.require_secret("remoteKey")}],
    sealing_keys=json.loads(given) if given else None,
)
helper = llmreg.Agent("helper", product="shop", tag="helper", name="Helper", model=remote)

pulumi.export("sealed_to", remote.sealed_to)
