"""Records for the store tests: real environment key pairs and really sealed API keys."""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any

from llmreg.domain import AgentRecord, LlmModelRecord, ProductRecord
from llmreg.sealing import PrivateKey, fingerprint, seal


@cache
def env_key(product: str, env: str) -> PrivateKey:
    return PrivateKey.generate()


def unique(prefix: str = "p") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def product(tag: str, envs: tuple[str, ...] = ("dev", "prd"), name: str = "Shop") -> ProductRecord:
    return ProductRecord(
        tag=tag,
        name=name,
        envs=[
            {
                "slug": e,
                "keyId": env_key(tag, e).key_id,
                "publicKey": env_key(tag, e).public_key.text,
            }
            for e in envs
        ],
    )


def sealed_env(product: str, model: str, env: str, api_key: str, **extra: Any) -> dict[str, Any]:
    sealed = seal(
        api_key, env_key(product, env).public_key, product=product, env=env, model_tag=model
    )
    return {
        "slug": env,
        "sealedKey": sealed.to_wire(),
        "keyFingerprint": fingerprint(sealed),
        **extra,
    }


def model(
    product: str,
    tag: str = "claude",
    envs: tuple[str, ...] = ("dev", "prd"),
    api_key: str | None = None,
    **fields: Any,
) -> LlmModelRecord:
    data: dict[str, Any] = {
        "product": product,
        "tag": tag,
        "name": "Claude",
        "provider": "anthropic",
        "model": "claude-sonnet-4-20250514",
        "envs": [
            sealed_env(product, tag, e, api_key or "sk-test-" + secrets.token_urlsafe(12))
            for e in envs
        ],
    }
    data.update(fields)
    return LlmModelRecord.model_validate(data)


def agent(product: str, tag: str = "support", model: str = "claude", **fields: Any) -> AgentRecord:
    data: dict[str, Any] = {
        "product": product,
        "tag": tag,
        "name": "Support",
        "model": model,
        "systemPrompt": "You help customers.",
    }
    data.update(fields)
    return AgentRecord.model_validate(data)
