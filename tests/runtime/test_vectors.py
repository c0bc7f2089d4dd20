"""tests/vectors/sealing.json opens in Python: with llmreg.sealing, and with nothing but
``cryptography``'s HPKE and the rules of docs/wire-format.md (so the document is enough)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from llmreg.domain import ModelEnvRecord
from llmreg.errors import SealingError
from llmreg.sealing import PrivateKey, PublicKey, binding, fingerprint, open_sealed

VECTORS = json.loads(
    (Path(__file__).parents[1] / "vectors" / "sealing.json").read_text(encoding="utf-8")
)
CASES = {c["name"]: c for c in VECTORS["cases"]}


def _unb64(text: str) -> bytes:
    assert "=" not in text  # base64url without padding
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_the_vectors_cover_success_and_each_failure() -> None:
    outcomes = {c.get("error", "opens") for c in CASES.values()}
    assert outcomes == {"opens", "no-matching-key", "does-not-open"}
    assert CASES["dev-key-cannot-open-prd"]["env"] == "prd"
    assert CASES["dev-key-cannot-open-prd"]["holds"] == "shop-dev"
    assert "nextSealedKey" in CASES["rotation-next-key"]["envConfig"]


@pytest.mark.parametrize("key", VECTORS["keys"], ids=lambda k: k["name"])
def test_key_encoding_and_key_id(key: dict[str, str]) -> None:
    private = PrivateKey(key["privateKey"])
    assert private.public_key.text == key["publicKey"]
    assert private.key_id == PublicKey(key["publicKey"]).key_id == key["keyId"]
    # the same from the documented rules alone
    raw_private = _unb64(key["privateKey"].removeprefix("llmreg-sk1-"))
    raw_public = (
        X25519PrivateKey.from_private_bytes(raw_private)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    assert key["publicKey"] == "llmreg-pk1-" + base64.urlsafe_b64encode(raw_public).decode().rstrip(
        "="
    )
    assert hashlib.sha256(b"llmreg-kid1|" + raw_public).hexdigest()[:16] == key["keyId"]


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_case_with_llmreg(case: dict[str, Any]) -> None:
    env = ModelEnvRecord.model_validate({"slug": case["env"], **case["envConfig"]})
    assert binding(case["product"], case["env"], case["modelTag"]).decode() == case["info"]
    assert fingerprint(env.sealed_keys()) == case["envConfig"]["keyFingerprint"]
    where = {"product": case["product"], "env": case["env"], "model_tag": case["modelTag"]}
    key = PrivateKey(case["privateKey"])
    if "plaintext" in case:
        assert open_sealed(env.sealed_keys(), [key], **where) == case["plaintext"]
        return
    expected = {"no-matching-key": "is sealed to key pair", "does-not-open": "does not open"}
    with pytest.raises(SealingError, match=expected[case["error"]]):
        open_sealed(env.sealed_keys(), [key], **where)


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_case_from_the_document(case: dict[str, Any]) -> None:
    """Pick the ciphertext by key id, split nothing (cryptography takes enc || ct), open."""
    config = case["envConfig"]
    sealed = [config[k] for k in ("sealedKey", "nextSealedKey") if k in config]
    mac = hmac.new(b"llmreg-fp1", b"|".join(_unb64(s["ciphertext"]) for s in sealed), "sha256")
    assert config["keyFingerprint"] == "fp1:" + mac.hexdigest()[:16]
    match = [s for s in sealed if s["keyId"] == case["keyId"]]
    if case.get("error") == "no-matching-key":
        assert match == []
        return
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    private = X25519PrivateKey.from_private_bytes(
        _unb64(case["privateKey"].removeprefix("llmreg-sk1-"))
    )
    info = f"llmreg/v1|{case['product']}|{case['env']}|{case['modelTag']}".encode()
    ciphertext = _unb64(match[0]["ciphertext"])
    if "plaintext" in case:
        assert suite.decrypt(ciphertext, private, info=info).decode() == case["plaintext"]
    else:
        with pytest.raises(InvalidTag):
            suite.decrypt(ciphertext, private, info=info)
