"""Sealing API keys to an environment's key pair with HPKE (RFC 9180).

Suite: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, base mode, from ``cryptography``.
The ``info`` binds a ciphertext to ``product|env|model-tag``, so it cannot be moved to another
record; every ciphertext carries the id of the key pair it was sealed to, so a runtime that holds
the previous private key can still open keys that were not yet re-sealed after a rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .domain.llm_model import SealedKey
from .errors import SealingError

_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_PUBLIC_PREFIX = "llmreg-pk1-"
_PRIVATE_PREFIX = "llmreg-sk1-"
_RAW = serialization.Encoding.Raw


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key_id(public_raw: bytes) -> str:
    return hashlib.sha256(b"llmreg-kid1|" + public_raw).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    """An environment's public key, as text ``llmreg-pk1-<base64url>``, with its key id."""

    text: str

    def __post_init__(self) -> None:
        self._raw()  # validate eagerly

    def _raw(self) -> bytes:
        if not self.text.startswith(_PUBLIC_PREFIX):
            raise ValueError(
                f"a public key starts with {_PUBLIC_PREFIX!r} (make one with `llmreg keygen`)"
            )
        raw = _unb64(self.text.removeprefix(_PUBLIC_PREFIX))
        if len(raw) != 32:
            raise ValueError("a public key is 32 bytes of X25519 key material")
        return raw

    @property
    def key_id(self) -> str:
        return _key_id(self._raw())

    def _key(self) -> X25519PublicKey:
        return X25519PublicKey.from_public_bytes(self._raw())


class PrivateKey:
    """An environment's private key. Its text never appears in ``repr`` or ``str``."""

    __slots__ = ("_key",)

    def __init__(self, text: str) -> None:
        if not text.startswith(_PRIVATE_PREFIX):
            raise ValueError(f"a private key starts with {_PRIVATE_PREFIX!r}")
        raw = _unb64(text.removeprefix(_PRIVATE_PREFIX))
        if len(raw) != 32:
            raise ValueError("a private key is 32 bytes of X25519 key material")
        self._key = X25519PrivateKey.from_private_bytes(raw)

    @classmethod
    def generate(cls) -> PrivateKey:
        key = X25519PrivateKey.generate()
        return cls(
            _PRIVATE_PREFIX
            + _b64(
                key.private_bytes(
                    _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
                )
            )
        )

    @classmethod
    def derive(cls, seed: bytes, label: str) -> PrivateKey:
        """A key determined by ``seed`` and ``label`` (HKDF-SHA256): the engine gives a provider
        the same seed in a preview and the ``up`` that applies its saved plan."""
        raw = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"llmreg-derive1", info=label.encode()
        ).derive(seed)
        return cls(_PRIVATE_PREFIX + _b64(raw))

    def reveal(self) -> str:
        """The key's text, for handing it to a secret store. Call only to store it."""
        raw = self._key.private_bytes(
            _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return _PRIVATE_PREFIX + _b64(raw)

    @property
    def public_key(self) -> PublicKey:
        return PublicKey(
            _PUBLIC_PREFIX
            + _b64(self._key.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw))
        )

    @property
    def key_id(self) -> str:
        return self.public_key.key_id

    def __repr__(self) -> str:
        return f"PrivateKey(key_id={self.key_id!r})"

    __str__ = __repr__


def binding(product: str, env: str, model_tag: str) -> bytes:
    """The HPKE ``info``: a ciphertext opens only for the record it was sealed for."""
    return f"llmreg/v1|{product}|{env}|{model_tag}".encode()


def seal(
    api_key: str, public_key: PublicKey, *, product: str, env: str, model_tag: str
) -> SealedKey:
    """Seal ``api_key`` to ``public_key`` for one product/env/model record."""
    ciphertext = _SUITE.encrypt(
        api_key.encode(), public_key._key(), info=binding(product, env, model_tag)
    )
    return SealedKey(key_id=public_key.key_id, ciphertext=_b64(ciphertext))


def open_sealed(
    sealed: SealedKey | Sequence[SealedKey],
    private_keys: Iterable[PrivateKey],
    *,
    product: str,
    env: str,
    model_tag: str,
) -> str:
    """Open ``sealed`` (one ciphertext, or the same key sealed to several key pairs of the env
    during a rotation) with whichever of ``private_keys`` it was sealed to.

    Raises SealingError (never revealing anything) when no key matches a ciphertext's key id,
    or when the ciphertext was tampered with or moved to another record.
    """
    candidates = [sealed] if isinstance(sealed, SealedKey) else list(sealed)
    keys = {k.key_id: k for k in private_keys}
    match = next(((c, keys[c.key_id]) for c in candidates if c.key_id in keys), None)
    if match is None:
        sealed_to = ", ".join(c.key_id for c in candidates)
        raise SealingError(
            f"the API key of {product}/{env}/{model_tag} is sealed to key pair(s) {sealed_to}, "
            f"but the private key(s) given are for {', '.join(sorted(keys)) or 'nothing'}: "
            f"pass the private key of environment '{env}'"
        )
    ciphertext, key = match
    try:
        plaintext = _SUITE.decrypt(
            _unb64(ciphertext.ciphertext), key._key, info=binding(product, env, model_tag)
        )
    except (InvalidTag, ValueError):
        raise SealingError(
            f"the sealed API key of {product}/{env}/{model_tag} does not open: it was altered, or "
            "copied from another product, environment or model"
        ) from None
    return plaintext.decode()


def fingerprint(sealed: SealedKey | Sequence[SealedKey]) -> str:
    """A short non-secret digest of the *ciphertexts* of one env's key (salted by HPKE's
    ephemeral keys): it changes whenever the key is re-sealed or a ciphertext is replaced, and
    tells nothing about the plaintext. One ciphertext gives the same value as a list of it."""
    parts = [sealed] if isinstance(sealed, SealedKey) else list(sealed)
    mac = hmac.new(b"llmreg-fp1", digestmod=hashlib.sha256)
    for i, part in enumerate(parts):
        if i:
            mac.update(b"|")
        mac.update(_unb64(part.ciphertext))
    return f"fp1:{mac.hexdigest()[:16]}"
