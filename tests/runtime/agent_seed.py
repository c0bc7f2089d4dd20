"""Agents with tools, fallbacks and limits in a real store, for the agent-run tests: each model gets
an API key of its own (so a test can tell which key a request carried) and its own settings."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from llmreg.domain import AgentRecord, LlmModelRecord
from llmreg.sealing import PrivateKey, fingerprint, seal
from llmreg.store.base import Store
from tests.runtime.seed import LOOKUP, seed_product

ACTOR = "test:agent-run"
SYSTEM = "You look up orders."
MODELS = {
    "openai": "gpt-4.1",
    "custom": "llama-3-8b",
    "anthropic": "claude-sonnet-4-20250514",
    "google": "gemini-2.5-pro",
    "cohere": "command-a-03-2025",
}
PREFIX = {"openai": "/v1", "custom": "/v1"}  # the others' base URLs have no version


@dataclass
class Shop:
    keys: dict[str, PrivateKey]
    api_keys: dict[str, str] = field(default_factory=dict)  # model tag -> its plaintext key


def add_model(store: Store, shop: Shop, tag: str, provider: str, url: str, **settings: Any) -> None:
    """Model ``tag`` of ``shop`` with an active config in dev and prd at ``url`` (the fake's)."""
    plain = "sk-" + secrets.token_hex(12)
    shop.api_keys[tag] = plain
    envs = []
    for slug, pk in shop.keys.items():
        sealed = seal(plain, pk.public_key, product="shop", env=slug, model_tag=tag)
        envs.append(
            {
                "slug": slug,
                "baseUrl": url + PREFIX.get(provider, ""),
                "sealedKey": sealed.to_wire(),
                "keyFingerprint": fingerprint(sealed),
            }
        )
    record = LlmModelRecord.model_validate(
        {
            "product": "shop",
            "tag": tag,
            "name": tag,
            "provider": provider,
            "model": MODELS[provider],
            **settings,
            "envs": envs,
        }
    )
    store.put(record, expected_version=0, actor=ACTOR)


def add_agent(store: Store, tag: str, model: str, **fields: Any) -> None:
    """Agent ``tag`` on ``model`` with the ``lookup_order`` tool (``fields`` add or replace)."""
    data = {
        "product": "shop",
        "tag": tag,
        "name": tag,
        "model": model,
        "systemPrompt": SYSTEM,
        "tools": [LOOKUP],
        "modelConfig": {"temperature": 0.5},
        **fields,
    }
    store.put(AgentRecord.model_validate(data), expected_version=0, actor=ACTOR)


def new_shop(store: Store) -> Shop:
    return Shop(seed_product(store, ACTOR))
