"""Which public keys an API key may be sealed to: the trust anchor comes from the Pulumi side.

The registry is not trusted with key material (docs/security.md): whoever can write it could
otherwise swap an environment's public key and have the next ``pulumi up`` seal API keys to a
key pair of their own. So keys are sealed only to the public keys

- the Product resource holds in its own state (same program: they reach the LlmModel as the
  Product's ``sealingKeys`` output), or
- given to the LlmModel by the program (``sealing_keys``, e.g. from a StackReference to the
  stack that manages the product), or else
- pinned in the LlmModel's state at its first deploy (read from the registry then).

A registry whose keys disagree with the anchor is refused, naming the env and both key ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..domain import ProductRecord
from ..sealing import PublicKey

SealingKeys = dict[str, list[str]]
"""Env slug -> the public keys (``llmreg-pk1-...``) its API keys are sealed to, current first."""


def key_ids(public_keys: Sequence[str]) -> list[str]:
    return [PublicKey(k).key_id for k in public_keys]


def registry_keys(product: ProductRecord) -> SealingKeys:
    """What the registry says each env's keys are sealed to."""
    return {e.slug: e.public_keys() for e in product.envs}


def _ids(keys: Sequence[str]) -> str:
    return ", ".join(key_ids(keys)) or "none"


def mismatched_envs(
    expected: Mapping[str, Sequence[str]], found: Mapping[str, Sequence[str]], envs: Sequence[str]
) -> list[tuple[str, list[str], list[str]]]:
    """(env, expected keys, found keys) for each of ``envs`` where the two disagree."""
    out = []
    for env in envs:
        want, have = list(expected.get(env, [])), list(found.get(env, []))
        if want != have:
            out.append((env, want, have))
    return out


def product_refusal(tag: str, mismatches: list[tuple[str, list[str], list[str]]]) -> str:
    """The error of a Product whose registry record holds public keys its stack did not make."""
    envs = "; ".join(
        f"env '{env}': the registry has key id {_ids(found)}, this stack holds {_ids(want)}"
        for env, want, found in mismatches
    )
    return (
        f"product '{tag}': the registry's public keys are not the ones this stack holds ({envs}). "
        "Someone changed them outside Pulumi; no API key is sealed to them. To put this "
        f"stack's keys back, run `LLMREG_RESTORE_KEYS={tag} pulumi up`; to rotate an env's key "
        "pair, use the Product's key_rotations (or next_public_keys)"
    )


def model_refusal(
    what: str, product: str, pinned: bool, mismatches: list[tuple[str, list[str], list[str]]]
) -> str:
    """The error of an LlmModel whose product's registry keys disagree with its anchor."""
    source = "pinned at this model's first deploy" if pinned else "given in sealing_keys"
    envs = "; ".join(
        f"env '{env}': the registry has key id {_ids(found)}, this model seals to "
        f"{_ids(want)} ({source})"
        for env, want, found in mismatches
    )
    return (
        f"{what}: the public keys of product '{product}' in the registry are not the ones this "
        f"model seals to ({envs}); nothing was sealed to them. If the product's stack rotated "
        "the key pair, pass that stack's Product.sealing_keys output to this LlmModel "
        "(sealing_keys=..., e.g. from a StackReference); otherwise someone changed the registry"
    )
