"""A product ``shop`` with one model and one agent per provider, put into a real store, for the
runtime's client tests: each of the four override layers sets a different value."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from llmreg.domain import AgentRecord, LlmModelRecord, ProductRecord
from llmreg.sealing import PrivateKey, fingerprint, seal
from llmreg.store.base import Store

ACTOR = "test:runtime-clients"
SYSTEM = "You are the shop's support agent."
LOOKUP = {
    "name": "lookup_order",
    "description": "Find an order by id",
    "parameters": {
        "type": "object",
        "properties": {"order_id": {"type": "string"}},
        "required": ["order_id"],
    },
}
ESCALATE = {"name": "escalate", "parameters": {"type": "object", "properties": {}}}

MODEL_LAYER = {
    "temperature": 0.7,
    "maxTokens": 4096,
    "topP": 0.9,
    "stopSequences": ["END"],
    "timeout": 30000,
}
AGENT_LAYER = {"temperature": 0.5, "maxTokens": 1000}
ENV_LAYER = {"topP": 0.8, "stopSequences": ["STOP"]}  # prd only
RUNTIME_LAYER = {"temperature": 0.2}
PROVENANCE = {
    "temperature": "runtime",
    "max_tokens": "agent",
    "top_p": "env",
    "stop_sequences": "env",
    "timeout": "model",
}


@dataclass(frozen=True)
class ModelSeed:
    """One model of ``shop`` and the agent that uses it."""

    provider: str
    model: str
    base_url: str
    agent: str
    with_key: bool = True

    @property
    def tag(self) -> str:
        return f"m-{self.agent}"


@dataclass(frozen=True)
class Seeded:
    keys: dict[str, PrivateKey]  # env slug -> private key
    plain: str  # the API key of every model env that has one


def seed_product(store: Store, actor: str = ACTOR) -> dict[str, PrivateKey]:
    """Put product ``shop`` (envs dev and prd) into ``store``; its private keys by env."""
    keys = {"dev": PrivateKey.generate(), "prd": PrivateKey.generate()}
    product = ProductRecord.model_validate(
        {
            "tag": "shop",
            "name": "Shop",
            "envs": [
                {"slug": s, "keyId": k.key_id, "publicKey": k.public_key.text}
                for s, k in keys.items()
            ],
        }
    )
    store.put(product, expected_version=0, actor=actor)
    return keys


def seed_shop(store: Store, models: Iterable[ModelSeed]) -> Seeded:
    keys = seed_product(store)
    plain = "sk-" + secrets.token_hex(16)
    for seed in models:
        envs = []
        for slug, pk in keys.items():
            env: dict[str, Any] = {"slug": slug, "baseUrl": seed.base_url}
            if seed.with_key:
                sealed = seal(plain, pk.public_key, product="shop", env=slug, model_tag=seed.tag)
                env.update(sealedKey=sealed.to_wire(), keyFingerprint=fingerprint(sealed))
            envs.append(env)
        model = LlmModelRecord.model_validate(
            {
                "product": "shop",
                "tag": seed.tag,
                "name": seed.provider,
                "provider": seed.provider,
                "model": seed.model,
                **MODEL_LAYER,
                "envs": envs,
            }
        )
        store.put(model, expected_version=0, actor=ACTOR)
        agent = AgentRecord.model_validate(
            {
                "product": "shop",
                "tag": seed.agent,
                "name": "Support",
                "model": seed.tag,
                "systemPrompt": SYSTEM,
                "tools": [LOOKUP, ESCALATE],
                "modelConfig": AGENT_LAYER,
                "envs": [{"slug": "prd", "modelConfig": ENV_LAYER}],
            }
        )
        store.put(agent, expected_version=0, actor=ACTOR)
    return Seeded(keys, plain)
