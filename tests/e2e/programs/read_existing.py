"""Records another stack manages, read into this program with get() (not managed here)."""

import pulumi

import llmreg

shop = llmreg.Product.get("shop-read", "shop")
sonnet = llmreg.LlmModel.get("sonnet-read", "shop/sonnet")
support = llmreg.Agent.get("support-read", "shop/support")

pulumi.export("product_name", shop.name)
pulumi.export("public_keys", shop.public_keys)
pulumi.export("model_fingerprints", sonnet.key_fingerprints)
pulumi.export("model_max_tokens", sonnet.max_tokens)
pulumi.export("support_resolved", support.resolved)
pulumi.export("support_prompt", support.system_prompt)
