"""Product: the owner of environments, each with its own encryption key pair.

An environment's API keys are sealed to its *current* key pair and, while a rotation is staged,
to its *next* pair too, so that a runtime holding either private key opens every key of the env.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, NonNegativeInt, model_validator

from .common import Name, NonEmpty, Owner, Record, Slug
from .rules import RuleViolation, explain_pattern, require_unique

PUBLIC_KEY_PATTERN = r"^llmreg-pk1-[A-Za-z0-9_-]{43}$"
explain_pattern(PUBLIC_KEY_PATTERN, "is not a public key: make one with `llmreg keygen`")

PublicKeyText = Annotated[str, Field(pattern=PUBLIC_KEY_PATTERN)]
"""An environment public key as text, ``llmreg-pk1-<base64url>`` (made by ``llmreg keygen``)."""


class ProductEnv(Record):
    """One environment: its current public key and, during a staged rotation, the next one.
    The private keys never reach the registry."""

    slug: Slug
    key_id: NonEmpty
    public_key: NonEmpty
    next_key_id: NonEmpty | None = None
    next_public_key: NonEmpty | None = None

    @model_validator(mode="after")
    def _next_pair(self) -> ProductEnv:
        if (self.next_key_id is None) != (self.next_public_key is None):
            raise RuleViolation("nextPublicKey", "nextKeyId and nextPublicKey go together")
        return self

    def public_keys(self) -> list[str]:
        """The public keys API keys of this env are sealed to: current first, then next."""
        return [self.public_key, *([self.next_public_key] if self.next_public_key else [])]


class ProductRecord(Record):
    """A Product as stored in the registry."""

    tag: Slug
    name: NonEmpty
    envs: Annotated[list[ProductEnv], Field(min_length=1)]
    owner: Owner | None = None

    @model_validator(mode="after")
    def _unique(self) -> ProductRecord:
        require_unique([e.slug for e in self.envs], "envs", "slug")
        return self

    def env(self, slug: str) -> ProductEnv | None:
        return next((e for e in self.envs if e.slug == slug), None)

    def env_slugs(self) -> list[str]:
        return [e.slug for e in self.envs]


RotationPhase = Literal["stage", "retire"]


class KeyRotation(Record):
    """A rotation of one environment's generated key pair, in two ``pulumi up`` steps.

    ``stage`` makes a next pair (its private key is a secret output) and every key of the env
    is sealed to both pairs; ``retire`` drops the old pair. Bump ``generation`` to rotate again.
    """

    generation: NonNegativeInt = Field(description="Bump it (from 0) to start a rotation.")
    phase: RotationPhase = Field(
        default="stage",
        description="`stage`: a next key pair is made and keys are sealed to both; `retire`: "
        "the old pair is dropped.",
    )


class ProductSpec(Record):
    """A Product as declared (the Product resource's own inputs)."""

    tag: Slug = Field(
        description="The product's tag: a lowercase slug, unique in the registry. Changing it "
        "replaces the product."
    )
    name: Name
    envs: Annotated[list[Slug], Field(min_length=1)] = Field(
        description="Environment slugs (at least one, unique), e.g. `dev`, `stg`, `prd`; "
        "declared order is kept."
    )
    public_keys: dict[str, PublicKeyText] = Field(
        default_factory=dict,
        description="Env -> public key made with `llmreg keygen`, for envs whose private key "
        "never passes through Pulumi (such envs get no generated pair).",
    )
    next_public_keys: dict[str, PublicKeyText] = Field(
        default_factory=dict,
        description="Env -> the next public key of an env with a supplied key: stages a "
        "rotation (keys are sealed to both); retire the old key by moving this one to "
        "`public_keys`.",
    )
    key_rotations: dict[str, KeyRotation] = Field(
        default_factory=dict,
        description="Env -> `{generation, phase}`: rotate an env's generated key pair in two "
        "steps. A higher `generation` with phase `stage` makes a next pair (keys are sealed to "
        "both); then phase `retire` drops the old one.",
    )

    @model_validator(mode="after")
    def _env_maps(self) -> ProductSpec:
        require_unique(self.envs, "envs", "environment")
        declared = ", ".join(self.envs)
        maps: tuple[tuple[str, dict[str, object]], ...] = (
            ("publicKeys", dict(self.public_keys)),
            ("nextPublicKeys", dict(self.next_public_keys)),
            ("keyRotations", dict(self.key_rotations)),
        )
        for path, entries in maps:
            for env in entries:
                if env not in self.envs:
                    raise RuleViolation(
                        f"{path}.{env}", f"'{env}' is not one of envs (it has: {declared})"
                    )
        for env, key in self.next_public_keys.items():
            if env not in self.public_keys:
                raise RuleViolation(
                    f"nextPublicKeys.{env}",
                    f"a staged next public key needs a current one: set public_keys['{env}'] too",
                )
            if key == self.public_keys[env]:
                raise RuleViolation(
                    f"nextPublicKeys.{env}",
                    "is the current public key: stage a new key made with `llmreg keygen`",
                )
        for env in self.key_rotations:
            if env in self.public_keys:
                raise RuleViolation(
                    f"keyRotations.{env}",
                    f"env '{env}' uses a supplied public key: rotate it by staging a new one "
                    "in next_public_keys (made with `llmreg keygen`), not with key_rotations",
                )
        return self
