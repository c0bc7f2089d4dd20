"""llmreg.resolve through the embedded SQLite store and through the HTTP store talking to a real
``llmreg serve`` on loopback; each store is seeded with ``Store.put``."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest

from llmreg.domain import AgentRecord, LlmModelRecord, ProductRecord
from llmreg.errors import NotFound, SealingError, ValidationFailed
from llmreg.runtime import resolve, resolve_model
from llmreg.sealing import PrivateKey, fingerprint, seal
from llmreg.store.base import Kind, Store
from tests.harness.registry import RegistryServer
from tests.runtime.seed import seed_product

ACTOR = "test:runtime"


@pytest.fixture
def store(any_store: Store) -> Store:
    """Each test on both stores (``any_store``, tests/runtime/conftest.py)."""
    return any_store


def _model(keys: dict[str, PrivateKey], plain: dict[str, str], **extra: object) -> LlmModelRecord:
    envs = []
    for slug, pk in keys.items():
        sealed = seal(plain[slug], pk.public_key, product="shop", env=slug, model_tag="sonnet")
        envs.append(
            {"slug": slug, "sealedKey": sealed.to_wire(), "keyFingerprint": fingerprint(sealed)}
        )
    data = {
        "product": "shop",
        "tag": "sonnet",
        "name": "Sonnet",
        "provider": "anthropic",
        "model": "claude-sonnet-4",
        "temperature": 0.7,
        "maxTokens": 4096,
        "stopSequences": ["END"],
        "envs": envs,
        **extra,
    }
    return LlmModelRecord.model_validate(data)


@pytest.fixture
def seeded(store: Store) -> dict[str, object]:
    keys = seed_product(store, ACTOR)
    plain = {s: "sk-" + secrets.token_hex(12) for s in keys}
    store.put(_model(keys, plain), expected_version=0, actor=ACTOR)
    agent = AgentRecord.model_validate(
        {
            "product": "shop",
            "tag": "support",
            "name": "Support",
            "model": "sonnet",
            "modelConfig": {"temperature": 0.5},
            "envs": [{"slug": "prd", "modelConfig": {"temperature": 0.3, "stopSequences": ["X"]}}],
        }
    )
    store.put(agent, expected_version=0, actor=ACTOR)
    return {"keys": keys, "plain": plain}


def test_four_layers(store: Store, seeded: dict[str, object]) -> None:
    keys: dict[str, PrivateKey] = seeded["keys"]  # type: ignore[assignment]
    plain: dict[str, str] = seeded["plain"]  # type: ignore[assignment]
    cfg = resolve("shop", "dev", "support", private_key=keys["dev"], store=store)
    assert cfg.temperature == 0.5 and cfg.provenance["temperature"] == "agent"
    assert cfg.max_tokens == 4096 and cfg.provenance["max_tokens"] == "model"
    assert cfg.stop_sequences == ("END",)
    assert cfg.api_key == plain["dev"]
    assert plain["dev"] not in repr(cfg) and plain["dev"] not in str(cfg)
    assert plain["dev"] not in json.dumps(cfg.to_dict())
    assert json.loads(json.dumps(cfg.to_dict(include_key=True)))["apiKey"] == plain["dev"]

    prd = resolve(
        "shop",
        "prd",
        "support",
        {"temperature": 0.2},
        private_key=keys["prd"].reveal(),
        store=store,
    )
    assert prd.temperature == 0.2 and prd.provenance["temperature"] == "runtime"
    assert prd.stop_sequences == ("X",) and prd.provenance["stop_sequences"] == "env"
    assert prd.api_key == plain["prd"]

    m = resolve_model("shop", "prd", "sonnet", private_key=keys["prd"], store=store)
    assert m.temperature == 0.7 and m.agent is None


def test_errors(store: Store, seeded: dict[str, object]) -> None:
    keys: dict[str, PrivateKey] = seeded["keys"]  # type: ignore[assignment]
    with pytest.raises(SealingError, match="environment 'prd'"):
        resolve("shop", "prd", "support", private_key=keys["dev"], store=store)
    with pytest.raises(NotFound, match="nope"):
        resolve("shop", "prd", "nope", private_key=keys["prd"], store=store)
    with pytest.raises(NotFound, match="dev, prd"):
        resolve("shop", "stg", "support", private_key=keys["prd"], store=store)
    with pytest.raises(ValidationFailed, match="temperature"):
        resolve("shop", "prd", "support", {"temperature": 9}, private_key=keys["prd"], store=store)


def test_rotation_and_cache(store: Store, seeded: dict[str, object]) -> None:
    keys: dict[str, PrivateKey] = seeded["keys"]  # type: ignore[assignment]
    old = keys["prd"]
    new = PrivateKey.generate()
    both = [new, old]
    assert resolve("shop", "prd", "support", private_key=both, store=store, ttl=0).api_key
    # re-seal to the new key only
    current = store.get(Kind.MODEL, "shop", "sonnet")
    rec = _model({"dev": keys["dev"], "prd": new}, {"dev": "a", "prd": "rotated"})
    store.put(rec, expected_version=current.version, actor=ACTOR)
    # within TTL: the cached copy is still served
    cached = resolve("shop", "prd", "support", private_key=both, store=store, ttl=60)
    assert cached.api_key != "rotated"
    # after TTL (ttl=0): revalidated by record versions
    assert (
        resolve("shop", "prd", "support", private_key=both, store=store, ttl=0).api_key == "rotated"
    )
    assert (
        resolve("shop", "prd", "support", private_key=new, store=store, ttl=0).api_key == "rotated"
    )
    with pytest.raises(SealingError):
        resolve("shop", "prd", "support", private_key=old, store=store, ttl=0)


def test_without_a_private_key_everything_but_the_key_resolves(
    store: Store, seeded: dict[str, object]
) -> None:
    """Settings and provenance need no key; only api_key (and client()) stay shut, saying
    which key pair would open it and how to pass its private key (issue 18, item 6)."""
    keys: dict[str, PrivateKey] = seeded["keys"]  # type: ignore[assignment]
    plain: dict[str, str] = seeded["plain"]  # type: ignore[assignment]
    for no_key in (None, ""):
        cfg = resolve("shop", "prd", "support", {"temperature": 0.2}, no_key, store=store)
        assert cfg.temperature == 0.2 and cfg.provenance["temperature"] == "runtime"
        assert cfg.stop_sequences == ("X",) and cfg.provenance["stop_sequences"] == "env"
        assert cfg.to_dict()["hasKey"] is True
        assert not cfg.key_opened
        with pytest.raises(SealingError) as caught:
            _ = cfg.api_key
        message = str(caught.value)
        assert "\n" not in message
        assert keys["prd"].key_id in message and "LLMREG_PRD_PRIVATE_KEY" in message
        assert "private_key=" in message and "environment 'prd'" in message
        with pytest.raises(SealingError, match="LLMREG_PRD_PRIVATE_KEY"):
            cfg.client()
        with pytest.raises(SealingError, match="no private key was given"):
            cfg.to_dict(include_key=True)
    model_only = resolve_model("shop", "dev", "sonnet", store=store)
    assert model_only.temperature == 0.7 and model_only.provenance["temperature"] == "model"
    opened = resolve("shop", "prd", "support", private_key=keys["prd"], store=store)
    assert opened.key_opened and opened.api_key == plain["prd"]


@pytest.mark.parametrize(
    "garbage", ["garbage", "llmreg-sk1-AAAA", "llmreg-sk1-!!!not-base64!!!", ["  ", "x"]]
)
def test_a_malformed_private_key_is_a_one_line_llmreg_error(
    store: Store, seeded: dict[str, object], garbage: str | list[str]
) -> None:
    with pytest.raises(SealingError) as caught:
        resolve("shop", "prd", "support", private_key=garbage, store=store)
    message = str(caught.value)
    assert "\n" not in message and "private_key" in message and "not" in message
    assert "AAAA" not in message and "garbage" not in message  # never echoes the text


def test_an_env_the_product_lacks_is_named_as_such(store: Store, seeded: dict[str, object]) -> None:
    """Issue 18, item 10: not the model's config but the product is blamed, with its envs;
    over HTTP the registry's resolved endpoint says the same."""
    keys: dict[str, PrivateKey] = seeded["keys"]  # type: ignore[assignment]
    with pytest.raises(NotFound) as by_agent:
        resolve("shop", "stg", "support", private_key=keys["prd"], store=store)
    with pytest.raises(NotFound) as by_model:
        resolve_model("shop", "stg", "sonnet", store=store)
    for caught in (by_agent, by_model):
        assert str(caught.value) == "product 'shop' has no environment 'stg' (it has: dev, prd)"
    # An env of the product that the model has no config for still names the model.
    current = store.get(Kind.PRODUCT, "shop", "shop").record
    assert isinstance(current, ProductRecord)
    wider = current.model_copy(update={"envs": [*current.envs, _product_env_record("stg")]})
    store.put(wider, expected_version=None, actor=ACTOR)
    with pytest.raises(NotFound, match=r"model 'shop/sonnet' has no active configuration .*'stg'"):
        resolve("shop", "stg", "support", store=store, ttl=0)


def _product_env_record(slug: str) -> Any:
    from llmreg.domain import ProductEnv

    return ProductEnv.model_validate(_product_env(slug))


def test_key_not_in_repr_logs_or_pickle(
    store: Store, seeded: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import pickle

    keys: dict[str, PrivateKey] = seeded["keys"]  # type: ignore[assignment]
    plain: dict[str, str] = seeded["plain"]  # type: ignore[assignment]
    cfg = resolve("shop", "prd", "support", private_key=keys["prd"], store=store)
    logging.getLogger("t").warning("cfg %s %r", cfg, cfg)
    assert plain["prd"] not in caplog.text
    with pytest.raises(TypeError):
        pickle.dumps(cfg)
    with pytest.raises(ValidationFailed, match=r"overrides\.temperature"):
        resolve("shop", "prd", "support", {"temperature": 3}, private_key=keys["prd"], store=store)


def test_custom_model_without_key_resolves_with_no_key(store: Store) -> None:
    product = ProductRecord.model_validate(
        {"tag": "lab", "name": "Lab", "envs": [_product_env("dev")]}
    )
    store.put(product, expected_version=0, actor=ACTOR)
    model = LlmModelRecord.model_validate(
        {
            "product": "lab",
            "tag": "local",
            "name": "Local",
            "provider": "custom",
            "model": "llama-3-8b",
            "envs": [{"slug": "dev", "baseUrl": "http://127.0.0.1:9/v1"}],
        }
    )
    store.put(model, expected_version=0, actor=ACTOR)
    agent = AgentRecord.model_validate(
        {"product": "lab", "tag": "bot", "name": "Bot", "model": "local"}
    )
    store.put(agent, expected_version=0, actor=ACTOR)
    cfg = resolve("lab", "dev", "bot", store=store)
    assert cfg.api_key is None and cfg.to_dict()["hasKey"] is False
    assert cfg.provider == "custom" and cfg.base_url == "http://127.0.0.1:9/v1"
    assert cfg.temperature == 0.7 and cfg.provenance["temperature"] == "model"


def _product_env(slug: str) -> dict[str, str]:
    key = PrivateKey.generate()
    return {"slug": slug, "keyId": key.key_id, "publicKey": key.public_key.text}


def _resolved_statuses(server: RegistryServer) -> list[int]:
    lines = [json.loads(line) for line in server.log_text().splitlines() if line.startswith("{")]
    return [
        line["status"]
        for line in lines
        if line.get("event") == "request" and "/resolved/" in line.get("path", "")
    ]


@pytest.mark.parametrize("any_store", ["http"], indirect=True)
def test_http_revalidates_with_etag(
    request: pytest.FixtureRequest, store: Store, seeded: dict[str, object]
) -> None:
    """Over HTTP the runtime asks the resolved endpoint once, then revalidates with
    If-None-Match: an unchanged agent is a 304, an update is a fresh 200."""
    server: RegistryServer = request.node.registry
    keys: dict[str, PrivateKey] = seeded["keys"]  # type: ignore[assignment]
    first = resolve("shop", "prd", "support", private_key=keys["prd"], store=store, ttl=0)
    again = resolve("shop", "prd", "support", private_key=keys["prd"], store=store, ttl=0)
    assert again == first
    current = store.get(Kind.AGENT, "shop", "support")
    changed = current.record.model_copy(update={"system_prompt": "Be brief."})
    store.put(changed, expected_version=current.version, actor=ACTOR)
    fresh = resolve("shop", "prd", "support", private_key=keys["prd"], store=store, ttl=0)
    assert fresh.system_prompt == "Be brief."
    cached = resolve("shop", "prd", "support", private_key=keys["prd"], store=store, ttl=60)
    assert cached.system_prompt == "Be brief."
    _wait_for_log(server, 3)
    assert _resolved_statuses(server) == [200, 304, 200]


def _wait_for_log(server: RegistryServer, count: int) -> None:
    """The access log line is written after the response is sent; give it a moment."""
    import time

    deadline = time.monotonic() + 5
    while len(_resolved_statuses(server)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
