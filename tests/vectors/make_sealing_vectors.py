"""Write tests/vectors/sealing.json: test vectors of llmreg's key and sealed-key formats
(docs/wire-format.md), made with llmreg.sealing.

HPKE sealing is randomized (a fresh ephemeral key per ciphertext), so running this again gives
different ciphertexts and fingerprints; the committed file is the reference, and every
implementation (tests/runtime/test_vectors.py in Python, examples/node-runtime in Node.js) must
open it. Run from the repository root: ``.venv/bin/python tests/vectors/make_sealing_vectors.py``.
The keys and "API keys" in it are made up for the vectors and protect nothing.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from llmreg.domain import SealedKey
from llmreg.sealing import PrivateKey, binding, fingerprint, open_sealed, seal

OUT = Path(__file__).with_name("sealing.json")


def _key(key: PrivateKey) -> dict[str, str]:
    return {"privateKey": key.reveal(), "publicKey": key.public_key.text, "keyId": key.key_id}


def _env_config(sealed: list[SealedKey]) -> dict[str, Any]:
    out: dict[str, Any] = {"sealedKey": sealed[0].to_wire()}
    if len(sealed) > 1:
        out["nextSealedKey"] = sealed[1].to_wire()
    out["keyFingerprint"] = fingerprint(sealed)
    return out


def _tampered(sealed: SealedKey) -> SealedKey:
    raw = bytearray(
        base64.urlsafe_b64decode(sealed.ciphertext + "=" * (-len(sealed.ciphertext) % 4))
    )
    raw[-1] ^= 0x01
    text = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    return SealedKey(key_id=sealed.key_id, ciphertext=text)


def main() -> None:
    keys = {
        "shop-dev": PrivateKey.generate(),
        "shop-prd": PrivateKey.generate(),
        "shop-prd-next": PrivateKey.generate(),
    }
    cases: list[dict[str, Any]] = []

    def case(
        name: str,
        description: str,
        *,
        product: str,
        env: str,
        model_tag: str,
        holds: str,
        sealed: list[SealedKey],
        plaintext: str | None = None,
        error: str | None = None,
    ) -> None:
        entry: dict[str, Any] = {
            "name": name,
            "description": description,
            "product": product,
            "env": env,
            "modelTag": model_tag,
            "info": binding(product, env, model_tag).decode(),
            "holds": holds,
            **_key(keys[holds]),
            "envConfig": _env_config(sealed),
        }
        if error is None:
            opened = open_sealed(
                sealed, [keys[holds]], product=product, env=env, model_tag=model_tag
            )
            assert opened == plaintext
            entry["plaintext"] = plaintext
        else:
            entry["error"] = error
        cases.append(entry)

    def sealed_to(plain: str, holder: str, product: str, env: str, tag: str) -> SealedKey:
        return seal(plain, keys[holder].public_key, product=product, env=env, model_tag=tag)

    dev_openai = sealed_to("sk-test-dev-0123456789abcdef", "shop-dev", "shop", "dev", "gpt")
    case(
        "dev-openai",
        "a dev key sealed to the dev key pair opens with the dev private key",
        product="shop",
        env="dev",
        model_tag="gpt",
        holds="shop-dev",
        sealed=[dev_openai],
        plaintext="sk-test-dev-0123456789abcdef",
    )
    prd_plain = "sk-ant-test-prd-fedcba9876543210"
    prd_sonnet = sealed_to(prd_plain, "shop-prd", "shop", "prd", "claude-sonnet")
    case(
        "prd-anthropic",
        "a prd key sealed to the prd key pair opens with the prd private key",
        product="shop",
        env="prd",
        model_tag="claude-sonnet",
        holds="shop-prd",
        sealed=[prd_sonnet],
        plaintext=prd_plain,
    )
    unicode_plain = "clé-ünïcødé-🔑-密钥"
    case(
        "utf8-plaintext",
        "the plaintext is UTF-8",
        product="shop",
        env="dev",
        model_tag="local.llama_3",
        holds="shop-dev",
        sealed=[sealed_to(unicode_plain, "shop-dev", "shop", "dev", "local.llama_3")],
        plaintext=unicode_plain,
    )
    rotated = [
        sealed_to(prd_plain, "shop-prd", "shop", "prd", "claude-sonnet"),
        sealed_to(prd_plain, "shop-prd-next", "shop", "prd", "claude-sonnet"),
    ]
    case(
        "rotation-current-key",
        "during a staged rotation, the current private key opens sealedKey",
        product="shop",
        env="prd",
        model_tag="claude-sonnet",
        holds="shop-prd",
        sealed=rotated,
        plaintext=prd_plain,
    )
    case(
        "rotation-next-key",
        "during a staged rotation, the next private key opens nextSealedKey",
        product="shop",
        env="prd",
        model_tag="claude-sonnet",
        holds="shop-prd-next",
        sealed=rotated,
        plaintext=prd_plain,
    )
    case(
        "dev-key-cannot-open-prd",
        "a dev private key does not open a prd key: no ciphertext carries its key id",
        product="shop",
        env="prd",
        model_tag="claude-sonnet",
        holds="shop-dev",
        sealed=[prd_sonnet],
        error="no-matching-key",
    )
    case(
        "moved-to-another-model",
        "a ciphertext copied to another model's record does not open (the info differs)",
        product="shop",
        env="prd",
        model_tag="gpt",
        holds="shop-prd",
        sealed=[prd_sonnet],
        error="does-not-open",
    )
    case(
        "moved-to-another-env",
        "a ciphertext copied to another env of the same key pair does not open",
        product="shop",
        env="stg",
        model_tag="claude-sonnet",
        holds="shop-prd",
        sealed=[prd_sonnet],
        error="does-not-open",
    )
    case(
        "tampered",
        "a ciphertext with one bit flipped does not open",
        product="shop",
        env="prd",
        model_tag="claude-sonnet",
        holds="shop-prd",
        sealed=[_tampered(prd_sonnet)],
        error="does-not-open",
    )
    data = {
        "description": "Test vectors of llmreg's key and sealed-key formats: docs/wire-format.md. "
        "Made up keys for testing only.",
        "suite": {
            "mode": "base",
            "kem": "DHKEM(X25519, HKDF-SHA256)",
            "kemId": 32,
            "kdf": "HKDF-SHA256",
            "kdfId": 1,
            "aead": "AES-256-GCM",
            "aeadId": 2,
        },
        "keys": [{"name": name, **_key(key)} for name, key in keys.items()],
        "cases": cases,
    }
    OUT.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
