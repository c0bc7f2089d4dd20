"""HPKE sealing: right key opens, wrong env key / moved / tampered ciphertext fail, rotation."""

from __future__ import annotations

import secrets

import pytest

from llmreg.domain import SealedKey
from llmreg.errors import SealingError
from llmreg.sealing import PrivateKey, PublicKey, fingerprint, open_sealed, seal

WHERE = {"product": "shop", "env": "prd", "model_tag": "claude"}


@pytest.fixture
def api_key() -> str:
    return "sk-" + secrets.token_urlsafe(24)


def test_round_trip(api_key: str) -> None:
    key = PrivateKey.generate()
    sealed = seal(api_key, key.public_key, **WHERE)
    assert sealed.key_id == key.key_id
    assert api_key not in sealed.ciphertext
    assert open_sealed(sealed, [key], **WHERE) == api_key


def test_wrong_environment_key_fails(api_key: str) -> None:
    prd, dev = PrivateKey.generate(), PrivateKey.generate()
    sealed = seal(api_key, prd.public_key, **WHERE)
    with pytest.raises(SealingError, match="private key of environment 'prd'") as err:
        open_sealed(sealed, [dev], **WHERE)
    assert api_key not in str(err.value)


@pytest.mark.parametrize("moved", [{"env": "dev"}, {"product": "other"}, {"model_tag": "gpt"}])
def test_ciphertext_moved_to_another_record_fails(api_key: str, moved: dict[str, str]) -> None:
    key = PrivateKey.generate()
    sealed = seal(api_key, key.public_key, **WHERE)
    with pytest.raises(SealingError, match="does not open"):
        open_sealed(sealed, [key], **{**WHERE, **moved})


def test_tampered_ciphertext_fails(api_key: str) -> None:
    key = PrivateKey.generate()
    sealed = seal(api_key, key.public_key, **WHERE)
    raw = bytearray(sealed.ciphertext.encode())
    raw[-3] = ord("A") if raw[-3] != ord("A") else ord("B")
    tampered = SealedKey(key_id=sealed.key_id, ciphertext=raw.decode())
    with pytest.raises(SealingError):
        open_sealed(tampered, [key], **WHERE)


def test_rotation_previous_key_opens_until_resealed(api_key: str) -> None:
    old, new = PrivateKey.generate(), PrivateKey.generate()
    sealed_old = seal(api_key, old.public_key, **WHERE)
    assert open_sealed(sealed_old, [new, old], **WHERE) == api_key
    resealed = seal(api_key, new.public_key, **WHERE)
    assert open_sealed(resealed, [new], **WHERE) == api_key
    with pytest.raises(SealingError):
        open_sealed(resealed, [old], **WHERE)


def test_fingerprint_is_per_sealing_and_reveals_nothing(api_key: str) -> None:
    key = PrivateKey.generate()
    a, b = seal(api_key, key.public_key, **WHERE), seal(api_key, key.public_key, **WHERE)
    assert fingerprint(a) != fingerprint(b)  # HPKE's ephemeral key salts every sealing
    assert fingerprint(a) == fingerprint(a)
    assert api_key not in fingerprint(a)


def test_private_key_text_never_in_repr() -> None:
    key = PrivateKey.generate()
    assert key.reveal() not in repr(key)
    assert key.reveal() not in str(key)
    assert PrivateKey(key.reveal()).key_id == key.key_id


@pytest.mark.parametrize("text", ["", "llmreg-pk1-", "nope", "llmreg-pk1-AAAA"])
def test_bad_public_keys_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        PublicKey(text)
