"""Audit field names: what changed, by name, never by value."""

from __future__ import annotations

from llmreg.store._sql_changes import changed_fields


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
