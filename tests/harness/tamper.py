"""What an attacker with write access to the registry does, for the tests of llmreg's trust in
public keys (design §3): swap an environment's public key for one of their own."""

from __future__ import annotations

from collections.abc import Iterable

from llmreg.domain import ProductRecord
from llmreg.sealing import PrivateKey
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
