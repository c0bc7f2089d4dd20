"""``llmreg.Product``: a product and its environments, each with its own encryption key pair."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from ._dynamic import ProductProvider
from ._outputs import StateOutput, read_existing, register
from ._program import add_product, owner_urn
from .args import KeyRotationArgs, KeyRotationArgsDict, coerce


def _rotations(
    value: pulumi.Input[Mapping[str, KeyRotationArgs | KeyRotationArgsDict]] | None,
) -> Any:
    if not isinstance(value, Mapping):
        return value or {}
    out = {}
    for env, rotation in value.items():
        args = coerce(rotation, KeyRotationArgs, f"key_rotations['{env}']")
        out[env] = {"generation": args.generation, "phase": args.phase}
    return out


class Product(pulumi.dynamic.Resource, module="llmreg", name="Product"):
    """A product: the owner of models and agents, with one encryption key pair per environment.

    Changing ``tag`` (or ``registry``) replaces the product; everything else updates in place.
    """

    tag = StateOutput[str]("tag")
    """The product's tag: a lowercase slug, unique in the registry. Changing it replaces the
    product."""
    name = StateOutput[str]("name")
    """Human-readable name."""
    envs = StateOutput[list[str]]("envs")
    """Environment slugs (at least one, unique), e.g. `dev`, `stg`, `prd`; declared order is
    kept."""
    public_keys = StateOutput[dict[str, str]]("publicKeys")
    """Env -> public key (`llmreg-pk1-...`) of the env's current key pair."""
    key_ids = StateOutput[dict[str, str]]("keyIds")
    """Env -> id of the env's current key pair."""
    private_keys = StateOutput[dict[str, str]]("privateKeys", secret=True)
    """Secret. Env -> generated private key (`llmreg-sk1-...`) of the current pair, for that
    env's runtime. Envs with a supplied public key have no entry."""
    next_public_keys = StateOutput[dict[str, str]]("nextPublicKeys")
    """Env -> public key of the staged next pair, during a rotation."""
    next_key_ids = StateOutput[dict[str, str]]("nextKeyIds")
    """Env -> id of the staged next pair, during a rotation."""
    next_private_keys = StateOutput[dict[str, str]]("nextPrivateKeys", secret=True)
    """Secret. Env -> generated private key of the staged next pair: hand it to the env's
    runtimes before retiring the old pair."""
    sealing_keys = StateOutput[dict[str, list[str]]]("sealingKeys")
    """Env -> the public keys API keys of that env are sealed to (current, then next). Pass it
    to LlmModels of other stacks (`sealing_keys`, e.g. via a StackReference)."""
    owner = StateOutput[str]("owner")
    """The resource's URN, recorded in the registry as its owner."""
    version = StateOutput[int]("version")
    """The registry record's version after the last write."""

    def __init__(
        self,
        resource_name: str,
        *,
        tag: pulumi.Input[str],
        name: pulumi.Input[str],
        envs: pulumi.Input[Sequence[pulumi.Input[str]]],
        public_keys: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        next_public_keys: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        key_rotations: pulumi.Input[Mapping[str, KeyRotationArgs | KeyRotationArgsDict]]
        | None = None,
        adopt: pulumi.Input[bool] = False,
        registry: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a product.

        :param resource_name: The resource's name in the Pulumi program.
        :param tag: The product's tag: a lowercase slug, unique in the registry. Changing it
            replaces the product.
        :param name: Human-readable name.
        :param envs: Environment slugs (at least one, unique), e.g. `dev`, `stg`, `prd`;
            declared order is kept.
        :param public_keys: Env -> public key made with `llmreg keygen`, for envs whose private
            key never passes through Pulumi (such envs get no generated pair).
        :param next_public_keys: Env -> the next public key of an env with a supplied key:
            stages a rotation (keys are sealed to both); retire the old key by moving this one
            to `public_keys`.
        :param key_rotations: Env -> `{generation, phase}`: rotate an env's generated key pair
            in two steps. A higher `generation` with phase `stage` makes a next pair (keys are
            sealed to both); then phase `retire` drops the old one.
        :param adopt: Take over a record that already exists in the registry (made by hand, or
            left by a lost stack).
        :param registry: A registry named in stack config `llmreg:registries` (default:
            `llmreg:url`).
        :param opts: Options of the resource (``pulumi.ResourceOptions``).
        """
        props: dict[str, Any] = dict(
            tag=tag,
            name=name,
            envs=envs,
            publicKeys=public_keys or {},
            nextPublicKeys=next_public_keys or {},
            keyRotations=_rotations(key_rotations),
            adopt=adopt,
            registry=registry,
            owner=owner_urn(resource_name, "Product", opts),
            # Made in check: secret placeholders make the engine keep them secret in inputs.
            privateKeys=pulumi.Output.secret({}),
            nextPrivateKeys=pulumi.Output.secret({}),
            # check shows a key pair it makes during a preview as unknown: `up` makes its own.
            dryRun=pulumi.runtime.is_dry_run(),
        )
        register(self, ProductProvider(), resource_name, props, opts)
        add_product(self, tag)

    @staticmethod
    def get(
        resource_name: str,
        id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
        *,
        registry: str | None = None,
    ) -> Product:
        """Read an existing product from the registry into this program without managing it.

        :param resource_name: The unique name of the resulting resource.
        :param id: The product's tag.
        :param opts: Options of the resource.
        :param registry: A registry named in stack config `llmreg:registries`.
        """
        return read_existing(Product, ProductProvider(), resource_name, id, opts, registry)
