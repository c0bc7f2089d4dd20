"""A program with a misspelt provider: mypy must reject it (tests/typing/test_sdk_types.py)."""

import llmreg

llmreg.LlmModel(
    "sonnet",
    product="shop",
    tag="sonnet",
    name="Claude Sonnet",
    provider="antropic",
    model="claude-sonnet-4-20250514",
    envs=[{"slug": "dev", "base_url": "https://x.internal"}],
)
