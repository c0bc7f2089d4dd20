"""Examples of the OpenAPI document: one product ``shop`` with a model and an agent.

They are consistent with each other and with the path examples (``shop``, ``claude-sonnet``,
``customer-support``, ``prd``), so each is a request the registry accepts once the product
exists. Keys and ciphertexts are placeholders of the right shape.
"""

from __future__ import annotations

from typing import Any

PUBLIC_KEY = "llmreg-pk1-" + "A" * 43

PRODUCT: dict[str, Any] = {
    "tag": "shop",
    "name": "Shop",
    "envs": [
        {"slug": "dev", "keyId": "k-dev-1", "publicKey": PUBLIC_KEY},
        {"slug": "prd", "keyId": "k-prd-1", "publicKey": PUBLIC_KEY},
    ],
}

MODEL: dict[str, Any] = {
    "product": "shop",
    "tag": "claude-sonnet",
    "name": "Claude Sonnet",
    "description": "General purpose",
    "provider": "anthropic",
    "model": "claude-sonnet-4-20250514",
    "temperature": 0.7,
    "maxTokens": 4096,
    "envs": [
        {
            "slug": "prd",
            "baseUrl": "https://llm-gw.internal/anthropic",
            "sealedKey": {"keyId": "k-prd-1", "ciphertext": "c2VhbGVkLWtleS1wbGFjZWhvbGRlcg"},
            "keyFingerprint": "fp1:3q2-7w",
        }
    ],
}

AGENT: dict[str, Any] = {
    "product": "shop",
    "tag": "customer-support",
    "name": "Customer Support Agent",
    "model": "claude-sonnet",
    "systemPrompt": "You are a helpful customer support agent.",
    "tools": [
        {
            "name": "lookup_order",
            "description": "Find an order by its id",
            "parameters": {
                "type": "object",
                "properties": {"orderId": {"type": "string"}},
                "required": ["orderId"],
            },
        }
    ],
    "modelConfig": {"temperature": 0.9},
    "envs": [{"slug": "prd", "modelConfig": {"maxTokens": 1000}}],
}

TOKENS: dict[str, dict[str, Any]] = {
    "read": {
        "summary": "a runtime's token: reads one product",
        "value": {"name": "shop-runtime", "scope": "read", "product": "shop"},
    },
    "write": {
        "summary": "a deploy token: reads and writes one product",
        "value": {"name": "shop-deploy", "scope": "write", "product": "shop"},
    },
    "admin": {"summary": "an admin token", "value": {"name": "ops", "scope": "admin"}},
}


def body(summary: str, value: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``openapi_examples`` of a request body."""
    return {value.get("tag", "example"): {"summary": summary, "value": value}}
