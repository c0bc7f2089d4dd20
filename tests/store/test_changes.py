"""Audit field names: what changed, by name, never by value."""

from __future__ import annotations

from pathlib import Path

from llmreg.domain import LlmModelRecord, ProductRecord
from llmreg.sealing import PrivateKey, fingerprint, seal
from llmreg.store._sql_changes import changed_fields
from llmreg.store.base import Kind
from llmreg.store.sql import SqlStore


def test_top_level_and_per_environment_names() -> None:
    old = {
        "name": "A",
        "temperature": 0.7,
        "envs": [
            {"slug": "dev", "sealedKey": {"keyId": "k", "ciphertext": "c1"}, "active": True},
            {"slug": "prd", "sealedKey": {"keyId": "k", "ciphertext": "c2"}},
        ],
    }
    new = {
        "name": "A",
        "topP": 0.5,
        "envs": [
            {"slug": "dev", "sealedKey": {"keyId": "k", "ciphertext": "c9"}},
            {"slug": "stg"},
        ],
    }
    assert changed_fields(old, new) == [
        "envs[dev].active",
        "envs[dev].sealedKey",
        "envs[prd]",
        "envs[stg]",
        "temperature",
        "topP",
    ]


def test_creation_reorder_and_no_change() -> None:
    envs = [{"slug": "dev"}, {"slug": "prd"}]
    assert changed_fields(None, {"tag": "m", "envs": envs}) == ["envs[dev]", "envs[prd]", "tag"]
    assert changed_fields({"envs": envs}, {"envs": envs[::-1]}) == ["envs"]
    assert changed_fields({"envs": envs, "tag": "m"}, {"envs": envs, "tag": "m"}) == []
    assert changed_fields({"tools": [{"name": "a"}]}, {"tools": []}) == ["tools"]


def test_a_key_rotation_and_a_create_as_a_store_records_them(tmp_path: Path) -> None:
    """Through a real SQL store: a re-sealed key names its env, a create names each env once
    (`llmreg history` prints these as they are: tests/cli)."""
    key = PrivateKey.generate()
    product = ProductRecord.model_validate(
        {"tag": "shop", "name": "Shop", "envs": [{"slug": "prd", "keyId": key.key_id,
                                                   "publicKey": key.public_key.text}]}
    )  # fmt: skip

    def model(api_key: str) -> LlmModelRecord:
        sealed = seal(api_key, key.public_key, product="shop", env="prd", model_tag="m")
        env = {"slug": "prd", "sealedKey": sealed.to_wire(), "keyFingerprint": fingerprint(sealed)}
        return LlmModelRecord.model_validate(
            {"product": "shop", "tag": "m", "name": "M", "provider": "openai", "model": "gpt-4",
             "envs": [env]}
        )  # fmt: skip

    with SqlStore(f"sqlite:///{tmp_path / 'r.db'}") as store:
        store.put(product, expected_version=0, actor="t")
        store.put(model("sk-1"), expected_version=0, actor="t")
        store.put(model("sk-2"), expected_version=1, actor="t")
        rotated, created = store.history(product="shop", kind=Kind.MODEL)
    assert rotated.changed_fields == ["envs[prd].keyFingerprint", "envs[prd].sealedKey"]
    assert "envs[prd]" in created.changed_fields
    assert len(created.changed_fields) == len(set(created.changed_fields))
    assert not any(f == "envs" or f.startswith("envs.") for f in created.changed_fields)
