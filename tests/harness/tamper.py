"""What an attacker with write access to the registry does, for the tests of llmreg's trust in
public keys (design §3): swap an environment's public key for one of their own, or replace a
model's API key with one of their own sealed to the environment's real key."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from llmreg.domain import LlmModelRecord, ProductRecord
from llmreg.sealing import PrivateKey, PublicKey, fingerprint, seal
from llmreg.store import Kind
from llmreg.store.base import Store


def swap_public_keys(
    store: Store, envs: Iterable[str], attacker: PrivateKey, product: str = "shop"
) -> dict[str, str]:
    """Replace the public key of each of ``envs`` of ``product`` with the attacker's (a write
    through ``store``); returns env -> the key id it had before."""
    current = store.get(Kind.PRODUCT, product, product)
    record = current.record
    assert isinstance(record, ProductRecord)
    swapped = set(envs)
    before = {e.slug: e.key_id for e in record.envs if e.slug in swapped}
    new_envs = [
        e.model_copy(update={"key_id": attacker.key_id, "public_key": attacker.public_key.text})
        if e.slug in swapped
        else e
        for e in record.envs
    ]
    store.put(
        record.model_copy(update={"envs": new_envs}),
        expected_version=current.version,
        actor="intruder",
    )
    return before


def replace_api_key(
    store: Store,
    plain: str,
    *,
    env: str = "dev",
    model_tag: str = "sonnet",
    product: str = "shop",
    actor: str = "intruder",
    **changes: Any,
) -> str:
    """Put ``plain``, sealed to the real public key of ``env``, in place of the API key of
    model ``model_tag`` (with its fingerprint, as a client would), in one write through
    ``store`` that also applies ``changes`` to the record's other fields; returns the new
    fingerprint."""
    shop = store.get(Kind.PRODUCT, product, product).record
    assert isinstance(shop, ProductRecord)
    found = shop.env(env)
    assert found is not None, f"product {product!r} has no env {env!r}"
    sealed = seal(plain, PublicKey(found.public_key), product=product, env=env, model_tag=model_tag)
    current = store.get(Kind.MODEL, product, model_tag)
    record = current.record
    assert isinstance(record, LlmModelRecord)
    envs = [
        e.model_copy(update={"sealed_key": sealed, "key_fingerprint": fingerprint(sealed)})
        if e.slug == env
        else e
        for e in record.envs
    ]
    store.put(
        record.model_copy(update={**changes, "envs": envs}),
        expected_version=current.version,
        actor=actor,
    )
    return fingerprint(sealed)
